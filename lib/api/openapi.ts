/**
 * The API's OpenAPI 3.1 document. It is also the source of the validators (lib/api/validate.ts):
 * request bodies, query strings and path parameters are checked against the very schemas
 * published here, so the document cannot drift from what the routes accept.
 */
import { ALERT_TAGS, alertPaths, alertSchemas } from './openapi-alerts';
import { AUTH_PATHS, AUTH_SCHEMAS } from './openapi-auth';
import { AUTOMATION_TAGS, automationPaths, automationSchemas } from './openapi-automation';
import { ENERGY_TAGS, energyPaths, energySchemas } from './openapi-energy';
import { NOTIFY_TAGS, notifyPaths, notifySchemas } from './openapi-notify';
import { ONBOARDING_TAGS, onboardingPaths, onboardingSchemas } from './openapi-onboarding';
import { answer, DEFAULT_BASE_PATH, deviceId, failure, filter, json, nullable, object, page, pageParams, ref, responses, seriesRange, timestamp, type JsonSchema, type OpenApiDocument } from './openapi-parts';

export * from './openapi-parts';

/**
 * Metadata fields. What an operator sends is held to the service's limits; what the API returns is
 * only typed, since firmwares announce model and version strings of any length.
 */
function metaFields<const I extends boolean>(input: I) {
  type Text = I extends true ? { type: 'string'; minLength: 1; maxLength: 200; description: string } : { type: 'string'; description: string };
  const text = (description: string) => (input ? { type: 'string', minLength: 1, maxLength: 200, description } : { type: 'string', description }) as Text;
  return {
    name: text('Name shown to people.'),
    room: text('Room shown to people; the topic\'s room stays the identity, so history is kept.'),
    kind: text('What the device is (thermostat, plug, sensor…), free text.'),
    icon: text('Icon name for the dashboard.'),
    expectedIntervalMs: {
      type: 'integer',
      minimum: 1000,
      maximum: 604_800_000,
      description: 'Reporting interval set by an operator (ms); overrides the learned cadence.',
    },
    controls: ref('Controls'),
    model: text('Hardware model.'),
    manufacturer: text('Manufacturer.'),
    firmware: text('Firmware version.'),
  } as const;
}

/** Each field of an object schema, also null. */
function nullableFields<const F extends Record<string, JsonSchema>>(fields: F) {
  return Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, nullable(s)])) as { [K in keyof F]: ReturnType<typeof nullable<F[K]>> };
}

const DEVICE_FIELDS: Record<string, JsonSchema> = {
  deviceId: { type: 'string', description: 'Stable id: `site/room/device` for Octopus topics, `<profile>:<id>` for firmwares.' },
  site: { type: 'string' },
  room: { type: 'string', description: 'The room shown: the metadata room, else the topic\'s.' },
  device: { type: 'string', description: 'The device\'s own id in its topic or firmware.' },
  name: { type: ['string', 'null'] },
  kind: { type: ['string', 'null'] },
  icon: { type: ['string', 'null'] },
  profile: { type: ['string', 'null'], description: 'Topic dialect the device speaks (tasmota, z2m…); null for plain Octopus topics.' },
  state: ref('DeviceState'),
  stateSince: timestamp('When the device entered its state.'),
  stateReason: { type: 'string', description: 'Why it did, in words.' },
  firstSeen: timestamp('First reading or announcement.'),
  lastSeen: timestamp('Latest reading or announcement.'),
  expectedIntervalMs: { type: ['integer', 'null'], description: 'The interval set by an operator, null when none is.' },
  learnedIntervalMs: { type: ['integer', 'null'], description: 'Typical time between reports, learned from the device.' },
  intervalMs: { type: 'integer', description: 'The interval the device is judged by: the operator\'s, else the learned one, else the default.' },
  availability: { enum: ['online', 'offline', 'other', null], description: 'What the device (or its last will) last said about being reachable.' },
  attributes: { type: 'array', items: ref('Attribute') },
};

const counts = {
  devices: { type: 'integer', minimum: 0 },
  online: { type: 'integer', minimum: 0 },
  stale: { type: 'integer', minimum: 0 },
  offline: { type: 'integer', minimum: 0 },
};

const SCHEMAS = {
  Error: object({ error: { type: 'string', description: 'What went wrong, as one sentence.' } }),
  DeviceState: { enum: ['online', 'stale', 'offline'], description: 'stale: silent for 3 intervals; offline: 10, or said so by its last will.' },
  CommandStatus: { enum: ['pending', 'confirmed', 'timeout', 'failed'] },
  ReadingValue: { type: ['number', 'boolean', 'string'] },
  ControlKind: { enum: ['switch', 'level', 'setpoint'], description: 'switch: true/false; level and setpoint: a number from min to max in steps.' },
  ControlSpec: {
    type: 'object',
    description: 'How an attribute can be controlled: a switch, or a number within min…max in steps.',
    properties: {
      kind: ref('ControlKind'),
      min: { type: 'number' },
      max: { type: 'number' },
      step: { type: 'number', exclusiveMinimum: 0 },
    },
    additionalProperties: false,
    // In an allOf so that ajv checks the kind first: its first error is then the one to report.
    allOf: [
      { type: 'object', required: ['kind'], properties: { kind: ref('ControlKind') } },
      {
        if: { type: 'object', properties: { kind: { const: 'switch' } } },
        then: { type: 'object', description: 'a switch takes no min, max or step', properties: { min: false, max: false, step: false } },
        else: { type: 'object', required: ['min', 'max', 'step'] },
      },
    ],
  },
  Controls: {
    type: 'object',
    description: 'Controllable attributes by name.',
    propertyNames: { minLength: 1, maxLength: 200 },
    additionalProperties: ref('ControlSpec'),
  },
  DeviceMeta: object(metaFields(false), [], { description: 'Metadata set by operators or announced by the device.' }),
  DeviceMetaPatch: object(
    nullableFields(metaFields(true)),
    [],
    { description: 'Fields to change; null clears one, absent ones stay. `controls` replaces the whole set.' },
  ),
  Attribute: object({
    name: { type: 'string' },
    value: ref('ReadingValue'),
    unit: { type: ['string', 'null'] },
    ts: timestamp('Time of the latest value.'),
    controllable: nullable(ref('ControlSpec')),
  }),
  AttributeList: object({ deviceId: { type: 'string' }, items: { type: 'array', items: ref('Attribute') } }),
  Device: object(DEVICE_FIELDS),
  DeviceDetail: object({ ...DEVICE_FIELDS, meta: ref('DeviceMeta') }),
  DeviceList: page('Device', 'One page of devices, sorted by deviceId.'),
  Site: object({ site: { type: 'string' }, rooms: { type: 'integer', minimum: 0 }, ...counts }),
  SiteList: object({ items: { type: 'array', items: ref('Site') } }),
  Room: object({ room: { type: 'string', description: 'Room as shown (metadata room, else the topic\'s).' }, ...counts }),
  RoomList: object({ site: { type: 'string' }, items: { type: 'array', items: ref('Room') } }),
  Reading: object({ ts: timestamp('When the value was measured.'), value: ref('ReadingValue'), unit: { type: ['string', 'null'] } }),
  ReadingList: object({
    deviceId: { type: 'string' },
    attribute: { type: 'string' },
    from: timestamp('Start of the range (inclusive).'),
    to: timestamp('End of the range (exclusive).'),
    limit: { type: 'integer', minimum: 1 },
    truncated: { type: 'boolean', description: 'More readings lie in the range: ask again from the last `ts`.' },
    items: { type: 'array', items: ref('Reading') },
  }),
  HistoryPoint: object({
    ts: timestamp('Start of the bucket.'),
    min: { type: 'number' },
    mean: { type: 'number' },
    max: { type: 'number' },
    count: { type: 'integer', minimum: 1, description: 'Readings in the bucket.' },
  }),
  History: object({
    deviceId: { type: 'string' },
    attribute: { type: 'string' },
    from: timestamp('Start of the range (inclusive).'),
    to: timestamp('End of the range (exclusive).'),
    bucketMs: { type: 'integer', minimum: 1, description: 'Width of each bucket; buckets are aligned to the Unix epoch (UTC).' },
    source: { enum: ['raw', '5m', '1h'], description: 'Where the buckets come from: raw readings, or the 5-minute or hourly rollups (with the raw tail the rollups do not cover yet).' },
    unit: { type: ['string', 'null'] },
    points: { type: 'array', items: ref('HistoryPoint') },
  }),
  CommandRequest: object(
    {
      deviceId: { type: 'string', minLength: 1, maxLength: 1000 },
      attribute: { type: 'string', minLength: 1, maxLength: 200 },
      value: { ...ref('ReadingValue'), description: 'true/false (or "on"/"off") for a switch; a number within the control\'s range and step otherwise.' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 3_600_000, description: 'How long to wait for the device to report the new state.' },
    },
    ['deviceId', 'attribute', 'value'],
  ),
  Command: object(
    {
      id: { type: 'string', format: 'uuid' },
      deviceId: { type: 'string' },
      attribute: { type: 'string' },
      value: ref('ReadingValue'),
      topic: { type: 'string', description: 'MQTT topic the command was published on (QoS 1).' },
      payload: { type: 'string' },
      requestedBy: { type: 'string', description: 'Who sent it: api, a flow node, the dashboard.' },
      requestedAt: timestamp('When it was sent.'),
      status: ref('CommandStatus'),
      statusAt: timestamp('When it took its status.'),
      detail: { type: ['string', 'null'], description: 'Why it has its status (the value reported, the timeout, what superseded it).' },
    },
    undefined,
    { description: 'pending until the device reports the commanded value (confirmed) or the timeout passes.' },
  ),
  CommandList: page('Command', 'One page of commands, newest first.'),
  ...AUTH_SCHEMAS,
} as const satisfies Record<string, JsonSchema>;

/** The component schemas of this part (with the auth part's), literal: lib/api/api-bodies.ts derives body types from them. */
export type CoreSchemas = typeof SCHEMAS;

const PATHS: OpenApiDocument['paths'] = {
  '/sites': {
    get: {
      operationId: 'listSites',
      summary: 'Sites with their device counts by state',
      tags: ['sites'],
      responses: responses({ '200': answer('Every site the registry knows.', 'SiteList') }),
    },
  },
  '/sites/{site}/rooms': {
    get: {
      operationId: 'listRooms',
      summary: 'Rooms of a site with their device counts by state',
      tags: ['sites'],
      parameters: [{ name: 'site', in: 'path', required: true, description: 'Site name.', schema: { type: 'string', minLength: 1 } }],
      responses: responses({ '200': answer('Rooms as shown (metadata room, else the topic\'s).', 'RoomList'), '404': failure('Unknown site.') }),
    },
  },
  '/devices': {
    get: {
      operationId: 'listDevices',
      summary: 'Devices, filtered and paged, sorted by id',
      tags: ['devices'],
      parameters: [
        filter('site', 'Only this site.'),
        filter('room', 'Only this room (as shown).'),
        { name: 'state', in: 'query', description: 'Only devices in this state.', schema: ref('DeviceState') },
        filter('kind', 'Only this kind.'),
        filter('q', 'Text found (case-insensitive) in the id, name, device or room.'),
        ...pageParams(500, 50),
      ],
      responses: responses({ '200': answer('One page of devices.', 'DeviceList'), '400': failure('Bad filter or paging.') }),
    },
  },
  '/devices/{id}': {
    get: {
      operationId: 'getDevice',
      summary: 'One device with its attributes and metadata',
      tags: ['devices'],
      parameters: [deviceId],
      responses: responses({ '200': answer('The device.', 'DeviceDetail'), '404': failure('Unknown device.') }),
    },
    patch: {
      operationId: 'updateDevice',
      summary: 'Change a device\'s metadata (name, room, kind, icon, interval, controls…)',
      tags: ['devices'],
      parameters: [deviceId],
      requestBody: { required: true, content: json(ref('DeviceMetaPatch')) },
      responses: responses({
        '200': answer('The device as changed.', 'DeviceDetail'),
        '400': failure('Invalid metadata or body.'),
        '404': failure('Unknown device.'),
        '413': failure('Body larger than 64 KB.'),
        '415': failure('Body not JSON.'),
      }),
    },
    delete: {
      operationId: 'forgetDevice',
      summary: 'Forget a device (its readings and commands stay in the database)',
      tags: ['devices'],
      parameters: [deviceId],
      responses: responses({ '204': { description: 'Forgotten; it comes back if it reports again.' }, '404': failure('Unknown device.') }),
    },
  },
  '/devices/{id}/attributes': {
    get: {
      operationId: 'listAttributes',
      summary: 'A device\'s attributes with their latest values',
      tags: ['devices'],
      parameters: [deviceId],
      responses: responses({ '200': answer('Attributes by name.', 'AttributeList'), '404': failure('Unknown device.') }),
    },
  },
  '/devices/{id}/readings': {
    get: {
      operationId: 'listReadings',
      summary: 'Raw readings of one attribute over a time range',
      description: 'Ordered by time, the first `limit` of the range. Default range: the last 24 h; at most 366 days.',
      tags: ['devices'],
      parameters: [
        deviceId,
        ...seriesRange,
        { name: 'limit', in: 'query', description: 'Most readings returned (at most 10000).', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
      ],
      responses: responses({
        '200': answer('Readings in the range.', 'ReadingList'),
        '400': failure('Bad time range, attribute or limit.'),
        '404': failure('Unknown device or attribute.'),
      }),
    },
  },
  '/devices/{id}/history': {
    get: {
      operationId: 'getHistory',
      summary: 'History of a numeric or boolean attribute for a chart: min, mean and max per time bucket',
      description:
        'At most `points` buckets, computed in the database; long ranges read the 5-minute and hourly rollups, never every raw row. ' +
        'Booleans count as 0/1. Default range: the last 24 h; at most 10 years. Text attributes: use /readings.',
      tags: ['devices'],
      parameters: [
        deviceId,
        ...seriesRange,
        { name: 'points', in: 'query', description: 'Most buckets returned.', schema: { type: 'integer', minimum: 2, maximum: 5000, default: 1000 } },
      ],
      responses: responses({
        '200': answer('Buckets in the range, oldest first; empty buckets are left out.', 'History'),
        '400': failure('Bad time range or points, or a text attribute.'),
        '404': failure('Unknown device or attribute.'),
      }),
    },
  },
  '/devices/{id}/commands': {
    get: {
      operationId: 'listDeviceCommands',
      summary: 'Commands sent to a device, newest first: who, what, when, outcome',
      tags: ['commands'],
      parameters: [deviceId, ...pageParams(500, 50)],
      responses: responses({ '200': answer('One page of commands.', 'CommandList'), '400': failure('Bad paging.'), '404': failure('Unknown device.') }),
    },
  },
  '/commands': {
    post: {
      operationId: 'sendCommand',
      summary: 'Send a command to a controllable attribute',
      description: 'Validated against the device\'s declared controls, published with QoS 1, then tracked until confirmed or timed out.',
      tags: ['commands'],
      requestBody: { required: true, content: json(ref('CommandRequest')) },
      responses: responses({
        '202': {
          description: 'Published; follow it at the Location given.',
          headers: { Location: { description: 'The command\'s URL.', schema: { type: 'string' } } },
          content: json(ref('Command')),
        },
        '400': failure('Invalid body, value out of range or off-step.'),
        '404': failure('Unknown device.'),
        '409': failure('The attribute is not declared controllable.'),
        '413': failure('Body larger than 64 KB.'),
        '415': failure('Body not JSON.'),
        '502': failure('The broker did not take the command.'),
      }),
    },
  },
  '/commands/{id}': {
    get: {
      operationId: 'getCommand',
      summary: 'A command with its current status',
      tags: ['commands'],
      parameters: [{ name: 'id', in: 'path', required: true, description: 'Command id.', schema: { type: 'string', format: 'uuid' } }],
      responses: responses({ '200': answer('The command.', 'Command'), '400': failure('Not a command id.'), '404': failure('Unknown command.') }),
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      description: 'Served even while no registry is deployed.',
      tags: ['meta'],
      responses: responses(
        {
          '200': {
            description: 'OpenAPI 3.1 document.',
            content: json({
              type: 'object',
              properties: { openapi: { const: '3.1.0' }, paths: { type: 'object' }, components: { type: 'object' } },
              required: ['openapi', 'paths', 'components'],
            }),
          },
        },
        { registry: false, signedIn: false },
      ),
      security: [],
    },
  },
  ...AUTH_PATHS,
  // A bucketed history (min/avg/max per interval) for charts arrives with the dashboard.
};

/** The document with paths relative to `serverUrl` (where the API is mounted). */
export function openApiDocument(serverUrl = DEFAULT_BASE_PATH): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Octopus API',
      version: '1.0.0',
      description:
        'Devices, readings and commands of the Octopus device registry, and alerts. Errors are `{"error": "<sentence>"}`; times are ISO 8601 UTC (those of alerts: epoch milliseconds).',
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: 'sites', description: 'Sites and rooms, with device counts.' },
      { name: 'devices', description: 'Devices, their metadata, attributes and readings.' },
      { name: 'commands', description: 'Commands to devices and their outcomes.' },
      { name: 'meta', description: 'About the API.' },
      { name: 'auth', description: 'Signing in and out, users and their roles per site, API tokens.' },
      ...ENERGY_TAGS,
      ...ALERT_TAGS,
      ...NOTIFY_TAGS,
      ...ONBOARDING_TAGS,
      ...AUTOMATION_TAGS,
    ],
    // Each part of the API describes its routes in its own module (openapi-auth, openapi-energy, openapi-alerts).
    paths: { ...PATHS, ...energyPaths(), ...alertPaths(), ...notifyPaths(), ...onboardingPaths(), ...automationPaths() },
    components: {
      schemas: { ...SCHEMAS, ...energySchemas(), ...alertSchemas(), ...notifySchemas(), ...onboardingSchemas(), ...automationSchemas() },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'octopus_session', description: 'Set by POST /auth/login. Writes also need the X-CSRF-Token header.' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`octo_…`) from POST /tokens.' },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
  };
}
