/**
 * The home-automation part of the OpenAPI document (lib/api/openapi.ts merges it in): scenes,
 * schedules, automations and their runs, the logbook, and the site's location (sunrise/sunset).
 * Served by lib/api/automation-routes.ts. Owners edit; residents apply and restore scenes; viewers see.
 */
import { answer, bodyFailures, bodyOf, failure, nullable, object, pageParams, ref, responses, siteParam, SITE_NAME, timestamp, type JsonSchema, type OpenApiDocument, type Parameter, type Responses } from './openapi-parts';

export const AUTOMATION_TAGS = [
  { name: 'automation', description: 'Scenes, schedules and automations of a site, run by Octopus through the command tracker; the logbook of what happened and why.' },
];

const NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 100 };
const DEVICE: JsonSchema = { type: 'string', minLength: 1, maxLength: 1000 };
const ATTRIBUTE: JsonSchema = { type: 'string', minLength: 1, maxLength: 200 };
const HHMM: JsonSchema = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time, 24 h ("07:00").' };
const DAYS: JsonSchema = { type: 'array', items: { type: 'integer', minimum: 1, maximum: 7 }, minItems: 1, maxItems: 7, uniqueItems: true, description: 'ISO weekdays (1 = Monday … 7 = Sunday).' };
const VALUE = ref('ReadingValue');
const variant = (type: string, key: 'type' | 'kind', props: Record<string, JsonSchema>, required: string[]): JsonSchema =>
  object({ [key]: { const: type }, ...props }, [key, ...required]);

export function automationSchemas() {
  const target = object({ deviceId: DEVICE, attribute: ATTRIBUTE, value: VALUE });
  const outcome = object({
    deviceId: { type: 'string' },
    attribute: { type: 'string' },
    value: VALUE,
    outcome: { enum: ['pending', 'confirmed', 'timeout', 'refused', 'failed'], description: 'confirmed: the device reported the value; timeout: it did not in time (after one retry); refused: the command was not valid or not sent.' },
    attempts: { type: 'integer' },
    detail: { type: 'string' },
    commandId: { type: 'string' },
  }, ['deviceId', 'attribute', 'value', 'outcome', 'attempts', 'detail']);
  const comparison = { above: { type: 'number' }, below: { type: 'number' }, equals: VALUE };
  return {
    SceneTarget: target,
    CauseLink: { type: 'object', description: 'One link of a cause chain (newest first): kind automation, schedule, scene, user, reading, device, alert or time.', properties: { kind: { type: 'string' } }, required: ['kind'] },
    SceneApply: object({
      startedAt: timestamp('When the apply started.'),
      done: { type: 'boolean', description: 'false while some device has not answered yet.' },
      results: { type: 'array', items: outcome },
    }),
    Scene: object({
      id: { type: 'string' },
      site: SITE_NAME,
      name: { type: 'string' },
      targets: { type: 'array', items: ref('SceneTarget') },
      previous: nullable({ type: 'array', items: ref('SceneTarget'), description: 'The states before the last apply: what restore sets back.' }),
      appliedAt: nullable(timestamp('Last applied.')),
      lastApply: nullable(ref('SceneApply')),
      updatedAt: timestamp('Last change.'),
      updatedBy: { type: ['string', 'null'] },
    }),
    SceneList: object({ site: SITE_NAME, items: { type: 'array', items: ref('Scene') } }),
    SceneInput: object(
      {
        name: NAME,
        targets: { type: 'array', items: ref('SceneTarget'), maxItems: 100 },
        capture: { type: 'array', items: object({ deviceId: DEVICE, attribute: ATTRIBUTE }), maxItems: 100, description: 'Attributes whose current values become targets.' },
      },
      ['name'],
    ),
    Slot: {
      oneOf: [
        variant('weekly', 'kind', { days: DAYS, time: HHMM, value: VALUE }, ['days', 'time']),
        variant('sun', 'kind', { days: DAYS, event: { enum: ['sunrise', 'sunset'] }, offsetMinutes: { type: 'integer', minimum: -720, maximum: 720 }, value: VALUE }, ['days', 'event', 'offsetMinutes']),
        variant('once', 'kind', { at: { type: 'string', format: 'date-time' }, value: VALUE }, ['at']),
      ],
      description: 'weekly: a local time on weekdays; sun: sunrise or sunset ± minutes (needs the site location); once: one instant. `value` is what a command schedule sets.',
    },
    ScheduleAction: {
      oneOf: [variant('command', 'type', { deviceId: DEVICE, attribute: ATTRIBUTE }, ['deviceId', 'attribute']), variant('scene', 'type', { sceneId: { type: 'string', minLength: 1, maxLength: 100 } }, ['sceneId'])],
    },
    ScheduleInput: object({ name: NAME, enabled: { type: 'boolean' }, action: ref('ScheduleAction'), slots: { type: 'array', items: ref('Slot'), minItems: 1, maxItems: 100 } }, ['name', 'action', 'slots']),
    Schedule: object({
      id: { type: 'string' },
      site: SITE_NAME,
      name: { type: 'string' },
      enabled: { type: 'boolean' },
      action: ref('ScheduleAction'),
      slots: { type: 'array', items: ref('Slot') },
      timeZone: { type: 'string', description: 'The site zone its times are in.' },
      lastSlot: nullable(timestamp('The last slot run (or logged missed).')),
      nextRun: nullable(timestamp('When it runs next (within 62 days).')),
      updatedAt: timestamp('Last change.'),
      updatedBy: { type: ['string', 'null'] },
    }),
    ScheduleList: object({ site: SITE_NAME, items: { type: 'array', items: ref('Schedule') } }),
    Trigger: {
      oneOf: [
        variant('reading', 'type', { deviceId: DEVICE, attribute: ATTRIBUTE, ...comparison }, ['deviceId', 'attribute']),
        variant('offline', 'type', { deviceId: DEVICE }, ['deviceId']),
        variant('alert', 'type', { deviceId: DEVICE, severity: { type: 'string', maxLength: 20 } }, []),
        variant('time', 'type', { days: DAYS, time: HHMM }, ['days', 'time']),
        variant('scene', 'type', { sceneId: { type: 'string', minLength: 1, maxLength: 100 } }, ['sceneId']),
      ],
      description: 'reading: the value crosses above/below a limit, or equals a value (every such reading); offline: the device goes offline; alert: an alert is raised; time: a local time on weekdays; scene: a scene is applied.',
    },
    Condition: {
      oneOf: [
        variant('time', 'type', { from: HHMM, to: HHMM }, ['from', 'to']),
        variant('state', 'type', { deviceId: DEVICE, attribute: ATTRIBUTE, ...comparison }, ['deviceId', 'attribute']),
        variant('home', 'type', { deviceIds: { type: 'array', items: DEVICE, maxItems: 20 }, region: { type: 'string', maxLength: 60 }, radiusM: { type: 'number', minimum: 10, maximum: 100_000 } }, []),
      ],
      description: 'time: local time window (to before from wraps midnight); state: another device\'s attribute; home: someone\'s OwnTracks device entered the region (default "home") or is within radiusM of the site location.',
    },
    Action: {
      oneOf: [
        variant('command', 'type', { deviceId: DEVICE, attribute: ATTRIBUTE, value: VALUE, forSeconds: { type: 'integer', minimum: 1, maximum: 86_400 }, thenValue: VALUE }, ['deviceId', 'attribute', 'value']),
        variant('scene', 'type', { sceneId: { type: 'string', minLength: 1, maxLength: 100 } }, ['sceneId']),
        variant('notify', 'type', { message: { type: 'string', minLength: 1, maxLength: 500 } }, ['message']),
        variant('wait', 'type', { seconds: { type: 'integer', minimum: 1, maximum: 3600 } }, ['seconds']),
      ],
      description: 'command (with forSeconds: set back to thenValue, or the opposite switch value, that long after the last trigger); scene; notify; wait.',
    },
    AutomationInput: object(
      {
        name: NAME,
        enabled: { type: 'boolean' },
        trigger: ref('Trigger'),
        conditions: { type: 'array', items: ref('Condition'), maxItems: 20 },
        actions: { type: 'array', items: ref('Action'), minItems: 1, maxItems: 20 },
        maxRunsPerHour: { type: 'integer', minimum: 1, maximum: 3600, description: 'Rate limit (default 60).' },
      },
      ['name', 'trigger', 'actions'],
    ),
    Automation: object({
      id: { type: 'string' },
      site: SITE_NAME,
      name: { type: 'string' },
      enabled: { type: 'boolean' },
      trigger: ref('Trigger'),
      conditions: { type: 'array', items: ref('Condition') },
      actions: { type: 'array', items: ref('Action') },
      maxRunsPerHour: { type: 'integer' },
      updatedAt: timestamp('Last change.'),
      updatedBy: { type: ['string', 'null'] },
    }),
    AutomationList: object({ site: SITE_NAME, items: { type: 'array', items: ref('Automation') } }),
    AutomationRun: object({ at: timestamp('When it ran.'), outcome: { enum: ['done', 'skipped', 'rate-limited', 'failed'] }, detail: { type: 'string' }, cause: { type: 'array', items: ref('CauseLink') } }),
    AutomationRunList: object({ automationId: { type: 'string' }, items: { type: 'array', items: ref('AutomationRun') } }),
    LogbookEntry: object({
      at: timestamp('When.'),
      kind: { enum: ['device', 'command', 'alert', 'automation', 'schedule', 'scene'] },
      deviceId: { type: ['string', 'null'] },
      message: { type: 'string' },
      cause: { type: 'array', items: ref('CauseLink') },
      causeText: { type: 'string', description: 'The cause chain in words: "automation \'hall motion\' ← hall/pir motion=true 21:04".' },
    }),
    Logbook: object({ site: SITE_NAME, items: { type: 'array', items: ref('LogbookEntry') }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } }),
    SiteLocation: object({
      site: SITE_NAME,
      name: { type: ['string', 'null'] },
      timeZone: { type: 'string' },
      latitude: { type: ['number', 'null'] },
      longitude: { type: ['number', 'null'] },
      logbookDays: { type: 'integer', description: 'How long the logbook keeps entries.' },
    }),
    SiteLocationInput: object(
      {
        name: { type: ['string', 'null'], maxLength: 100 },
        latitude: { type: ['number', 'null'], minimum: -90, maximum: 90 },
        longitude: { type: ['number', 'null'], minimum: -180, maximum: 180 },
        logbookDays: { type: 'integer', minimum: 1, maximum: 3650 },
        timeZone: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'IANA zone (Europe/Madrid); unchanged when absent.' },
      },
      ['latitude', 'longitude'],
    ),
  };
}

const id = (name: string, what: string): Parameter => ({ name, in: 'path', required: true, description: `${what} id.`, schema: { type: 'string', minLength: 1, maxLength: 100 } });
const sceneId = id('sceneId', 'Scene');
const scheduleId = id('scheduleId', 'Schedule');
const automationId = id('automationId', 'Automation');
const r = (specific: Responses) => responses({ ...specific, '503': failure('The device registry (and its automation service) is not deployed, or the database does not answer.') });
const notFound = (what: string) => failure(`No such ${what}, or one of a site the caller does not see.`);
const saveAnswers = (what: string, schema: string, created: boolean): Responses => ({
  [created ? '201' : '200']: answer(`The ${what}, saved.`, schema),
  '400': failure('A bad body, or a device, attribute, value or scene this site does not have.'),
  '404': notFound(what),
  '409': failure('It would make a loop of automations, or the site has too many already.'),
  ...bodyFailures,
});

function crud(plural: string, what: string, list: string, item: string, input: string, param: Parameter, tag = 'automation'): OpenApiDocument['paths'] {
  const Cap = what[0].toUpperCase() + what.slice(1).replace(/ (\w)/g, (_m, c: string) => c.toUpperCase());
  return {
    [`/sites/{site}/${plural}`]: {
      get: { operationId: `list${Cap}s`, summary: `The site's ${what}s (viewers and up)`, tags: [tag], parameters: [siteParam], responses: r({ '200': answer(`The ${what}s.`, list), '404': failure('Unknown site, or one the caller does not see.') }) },
      post: { operationId: `create${Cap}`, summary: `A new ${what} (owners)`, tags: [tag], parameters: [siteParam], requestBody: bodyOf(input), responses: r(saveAnswers(what, item, true)) },
    },
    [`/${plural}/{${param.name}}`]: {
      get: { operationId: `get${Cap}`, summary: `One ${what}`, tags: [tag], parameters: [param], responses: r({ '200': answer(`The ${what}.`, item), '404': notFound(what) }) },
      put: { operationId: `update${Cap}`, summary: `Change a ${what} (owners)`, tags: [tag], parameters: [param], requestBody: bodyOf(input), responses: r(saveAnswers(what, item, false)) },
      delete: { operationId: `delete${Cap}`, summary: `Delete a ${what} (owners)`, tags: [tag], parameters: [param], responses: r({ '204': { description: 'Deleted.' }, '404': notFound(what), '409': failure('Still used by a schedule or automation.') }) },
    },
  };
}

export function automationPaths(): OpenApiDocument['paths'] {
  const sceneAction = (verb: 'apply' | 'restore') => ({
    post: {
      operationId: `${verb}Scene`,
      summary: verb === 'apply' ? 'Apply a scene (residents and up): each device commanded, its outcome in lastApply' : 'Set back the states the last apply replaced (residents and up)',
      tags: ['automation'],
      parameters: [sceneId],
      responses: r({ '202': answer('Started; follow GET /scenes/{sceneId} (lastApply) until done.', 'Scene'), '404': notFound('scene'), '409': failure('Nothing to restore: the scene was never applied.') }),
    },
  });
  return {
    ...crud('scenes', 'scene', 'SceneList', 'Scene', 'SceneInput', sceneId),
    '/scenes/{sceneId}/apply': sceneAction('apply'),
    '/scenes/{sceneId}/restore': sceneAction('restore'),
    ...crud('schedules', 'schedule', 'ScheduleList', 'Schedule', 'ScheduleInput', scheduleId),
    ...crud('automations', 'automation', 'AutomationList', 'Automation', 'AutomationInput', automationId),
    '/automations/{automationId}/runs': {
      get: {
        operationId: 'automationRuns',
        summary: 'The latest runs of an automation, newest first',
        tags: ['automation'],
        parameters: [automationId, { name: 'limit', in: 'query', description: 'Runs (at most 200).', schema: { type: 'integer', minimum: 1, maximum: 200, default: 20 } }],
        responses: r({ '200': answer('Runs.', 'AutomationRunList'), '404': notFound('automation') }),
      },
    },
    '/sites/{site}/logbook': {
      get: {
        operationId: 'siteLogbook',
        summary: 'The site\'s timeline, newest first, with each line\'s cause chain',
        tags: ['automation'],
        parameters: [
          siteParam,
          { name: 'kind', in: 'query', description: 'Only these kinds (comma-separated): device, command, alert, automation, schedule, scene.', schema: { type: 'string', pattern: '^(device|command|alert|automation|schedule|scene)(,(device|command|alert|automation|schedule|scene))*$', maxLength: 100 } },
          { name: 'device', in: 'query', description: 'Only this device.', schema: { type: 'string', minLength: 1, maxLength: 1000 } },
          { name: 'from', in: 'query', description: 'At or after, ISO 8601.', schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', description: 'At or before, ISO 8601.', schema: { type: 'string', format: 'date-time' } },
          ...pageParams(500, 100),
        ],
        responses: r({ '200': answer('A page of the logbook.', 'Logbook'), '404': failure('Unknown site, or one the caller does not see.') }),
      },
    },
    '/sites/{site}/location': {
      get: { operationId: 'getSiteLocation', summary: 'The site\'s name, location (for sunrise/sunset), zone and logbook retention', tags: ['automation'], parameters: [siteParam], responses: r({ '200': answer('The location.', 'SiteLocation'), '404': failure('Unknown site, or one the caller does not see.') }) },
      put: {
        operationId: 'setSiteLocation',
        summary: 'Set the site\'s name, location and logbook retention (owners)',
        tags: ['automation'],
        parameters: [siteParam],
        requestBody: bodyOf('SiteLocationInput'),
        responses: r({ '200': answer('Saved.', 'SiteLocation'), '400': failure('Bad body.'), '404': failure('Unknown site, or one the caller does not see.'), ...bodyFailures }),
      },
    },
  };
}
