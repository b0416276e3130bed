/**
 * The alerts part of the OpenAPI document (lib/api/openapi.ts merges it in): open alerts, their
 * history, one alert with its transitions, acknowledging and clearing (lib/alerts/alerts-api.ts).
 * Built by functions, not at load: it uses the main document's helpers, which import this module.
 */
import { answer, bodyFailures, failure, json, nullable, object, ref, responses, type JsonSchema, type OpenApiDocument, type Parameter, type Responses } from './openapi-parts';

export const ALERT_TAGS = [{ name: 'alerts', description: 'Alerts raised by the rules of the octopus-alert node: open ones, their history, acknowledging and clearing.' }];

// Postgres text holds no NUL character: a filter or note with one would fail the query (a 500), so the schemas refuse it.
const NO_NUL = '^[^\\u0000]*$';
const SEVERITIES = ['info', 'warning', 'critical'];
const epochMs = (description: string): JsonSchema => ({ type: 'integer', description: `${description} (epoch milliseconds).` });
const text = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength, pattern: NO_NUL, description: 'Any text without a NUL character.' }) as const;

/** A comma-separated list of some of `words`; its description words the 400 when it does not match. */
const wordList = (words: string[]): JsonSchema => {
  const one = `(${words.join('|')})`;
  return { type: 'string', pattern: `^${one}(,${one})*$`, description: `A comma-separated list of ${words.join(', ')}.` };
};

export function alertSchemas() {
  const value = nullable({ type: ['number', 'boolean', 'string'] });
  return {
    AlertSeverity: { enum: SEVERITIES },
    AlertState: { enum: ['active', 'acknowledged', 'cleared'] },
    Alert: object(
      {
        id: { type: 'string' },
        ruleId: { type: 'string' },
        ruleName: { type: 'string' },
        condition: { type: 'string', description: 'The rule\'s condition (above, below, outside, inside, rate, equals, no-data…).' },
        deviceId: { type: 'string' },
        site: { type: 'string' },
        room: { type: 'string' },
        device: { type: 'string' },
        attribute: { type: 'string' },
        severity: ref('AlertSeverity'),
        state: ref('AlertState'),
        cause: { enum: ['condition', 'no-data'] },
        message: { type: 'string' },
        value: { ...value, description: 'The latest value seen while it was open; null: none.' },
        unit: { type: 'string' },
        threshold: { type: 'number', description: 'The limit of the level that raised or escalated it (above, below, rate).' },
        min: { type: 'number' },
        max: { type: 'number' },
        raisedAt: epochMs('When it was raised'),
        updatedAt: epochMs('Its last change of state or severity'),
        notifiedAt: epochMs('The last time it went out as raised, escalated or repeated'),
        repeats: { type: 'integer', minimum: 0 },
        acknowledgedBy: { type: 'string' },
        acknowledgedAt: epochMs('When it was acknowledged'),
        acknowledgeNote: { type: 'string' },
        clearedAt: epochMs('When it was cleared'),
        clearedBy: { type: 'string', description: 'Who cleared it; `auto` when its condition passed.' },
        clearReason: { type: 'string' },
      },
      ['id', 'ruleId', 'ruleName', 'condition', 'deviceId', 'site', 'room', 'device', 'attribute', 'severity', 'state', 'cause', 'message', 'value', 'raisedAt', 'updatedAt', 'notifiedAt', 'repeats'],
    ),
    AlertList: object({ alerts: { type: 'array', items: ref('Alert') }, count: { type: 'integer', minimum: 0 } }, undefined, { description: 'Open alerts of the sites the caller sees.' }),
    AlertHistory: object(
      {
        alerts: { type: 'array', items: ref('Alert') },
        total: { type: 'integer', minimum: 0, description: 'Matches in all, beyond this page too.' },
        limit: { type: 'integer', minimum: 1 },
        offset: { type: 'integer', minimum: 0 },
      },
      undefined,
      { description: 'A page of alerts, newest first.' },
    ),
    AlertEvent: object(
      {
        alertId: { type: 'string' },
        type: { enum: ['raised', 'escalated', 'acknowledged', 'cleared', 'repeated'] },
        at: epochMs('When'),
        severity: ref('AlertSeverity'),
        state: ref('AlertState'),
        by: { type: 'string' },
        note: { type: 'string' },
        value: value,
        message: { type: 'string' },
      },
      ['alertId', 'type', 'at', 'severity', 'state', 'value', 'message'],
    ),
    AlertWithEvents: object({ alert: ref('Alert'), events: { type: 'array', items: ref('AlertEvent'), description: 'Its transitions, oldest first.' } }),
    AlertAnswer: object({ alert: ref('Alert') }),
    AlertAction: object(
      {
        by: { ...text(100, 1), description: 'Ignored: the signed-in user is recorded (accepted for old clients).' },
        note: text(1000),
      },
      [],
      { description: 'Both optional; an empty body is an empty object.' },
    ),
  } as const satisfies Record<string, JsonSchema>;
}

const textFilter = (name: string, description: string): Parameter => ({ name, in: 'query', description, schema: text(200, 1) });

const filters = (states: string[]): Parameter[] => [
  textFilter('site', 'Only this site.'),
  textFilter('device', 'Only this device (device id).'),
  textFilter('attribute', 'Only this attribute.'),
  textFilter('ruleId', 'Only this rule.'),
  { name: 'severity', in: 'query', description: 'Only these severities (a repeated parameter adds to the list).', schema: wordList(SEVERITIES) },
  { name: 'state', in: 'query', description: 'Only these states (a repeated parameter adds to the list).', schema: wordList(states) },
];

const time = (name: string, description: string): Parameter => ({
  name,
  in: 'query',
  description: `${description}, ISO 8601 (2026-11-23T10:00:00Z) or epoch milliseconds.`,
  schema: { type: 'string', minLength: 1, maxLength: 40 },
});

const alertId: Parameter = { name: 'id', in: 'path', required: true, description: 'Alert id.', schema: { type: 'string', minLength: 1 } };

// No registry is involved: the 503 is the alert node's (not deployed, or still loading its alerts).
const alertResponses = (specific: Responses): Responses => ({
  ...responses(specific),
  '503': failure('No octopus-alert node is deployed, its alerts are still loading, or the user store does not answer.'),
});

export function alertPaths(): OpenApiDocument['paths'] {
  const action = (verb: 'ack' | 'clear') => ({
    operationId: verb === 'ack' ? 'acknowledgeAlert' : 'clearAlert',
    summary: verb === 'ack' ? 'Acknowledge an open alert (residents and up)' : 'Clear an alert (residents and up)',
    description: 'The signed-in user is recorded as having done it; a `by` in the body is ignored.',
    tags: ['alerts'],
    parameters: [alertId],
    requestBody: { required: false, content: json(ref('AlertAction')) },
    responses: alertResponses({
      '200': answer(verb === 'ack' ? 'The alert, acknowledged.' : 'The alert, cleared.', 'AlertAnswer'),
      '400': failure('Bad body.'),
      '404': failure('No such alert, or one of a site the caller does not see.'),
      '409': failure(verb === 'ack' ? 'Already acknowledged or cleared.' : 'Already cleared.'),
      ...bodyFailures,
    }),
  });
  return {
    '/alerts': {
      get: {
        operationId: 'listAlerts',
        summary: 'Open alerts (active and acknowledged) of the sites the caller sees',
        tags: ['alerts'],
        parameters: filters(['active', 'acknowledged']),
        responses: alertResponses({ '200': answer('Open alerts.', 'AlertList'), '400': failure('Bad filter.') }),
      },
    },
    // Before /alerts/{id}: "history" is no alert's id.
    '/alerts/history': {
      get: {
        operationId: 'alertHistory',
        summary: 'All alerts, newest first, a page at a time',
        tags: ['alerts'],
        parameters: [
          ...filters(['active', 'acknowledged', 'cleared']),
          time('from', 'Raised at or after'),
          time('to', 'Raised at or before'),
          { name: 'limit', in: 'query', description: 'Alerts per page (at most 1000).', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'offset', in: 'query', description: 'Alerts to skip.', schema: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 } },
        ],
        responses: alertResponses({ '200': answer('A page of alerts.', 'AlertHistory'), '400': failure('Bad filter, time or page.') }),
      },
    },
    '/alerts/{id}': {
      get: {
        operationId: 'getAlert',
        summary: 'One alert with its transitions',
        tags: ['alerts'],
        parameters: [alertId],
        responses: alertResponses({ '200': answer('The alert and its events.', 'AlertWithEvents'), '404': failure('No such alert, or one of a site the caller does not see.') }),
      },
    },
    '/alerts/{id}/ack': { post: action('ack') },
    '/alerts/{id}/clear': { post: action('clear') },
  };
}
