/**
 * The API's OpenAPI 3.1 document. It is also the source of the validators (lib/api/validate.ts):
 * request bodies, query strings and path parameters are checked against the very schemas
 * published here, so the document cannot drift from what the routes accept.
 */
import { ENERGY_TAGS, energyPaths, energySchemas } from './openapi-energy';

export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  description: string;
  schema: JsonSchema;
}

export interface Operation {
  operationId: string;
  /** [] for the routes anyone may call (the login, this document); absent: the document's default (signed in). */
  security?: Array<Record<string, string[]>>;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: true; content: { 'application/json': { schema: JsonSchema } } };
  /** JSON for most answers; exports answer text/csv or application/x-ndjson. */
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<HttpMethod, Operation>>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
  security: Array<Record<string, string[]>>;
}

export const DEFAULT_BASE_PATH = '/api/v1';

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
export const timestamp = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });

/**
 * Metadata fields. What an operator sends is held to the service's limits; what the API returns is
 * only typed, since firmwares announce model and version strings of any length.
 */
function metaFields(input: boolean): Record<string, JsonSchema> {
  const text = (description: string): JsonSchema => (input ? { type: 'string', minLength: 1, maxLength: 200, description } : { type: 'string', description });
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
  };
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

export function object(properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties), extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false, ...extra };
}

const page = (item: string, description: string): JsonSchema =>
  object(
    {
      items: { type: 'array', items: ref(item) },
      total: { type: 'integer', minimum: 0, description: 'Matches in all, beyond this page too.' },
      limit: { type: 'integer', minimum: 0 },
      offset: { type: 'integer', minimum: 0 },
    },
    undefined,
    { description },
  );

const counts = {
  devices: { type: 'integer', minimum: 0 },
  online: { type: 'integer', minimum: 0 },
  stale: { type: 'integer', minimum: 0 },
  offline: { type: 'integer', minimum: 0 },
};

export const SITE_NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 200 };
const siteRoles = (description: string): JsonSchema => ({
  type: 'object',
  description,
  propertyNames: { minLength: 1, maxLength: 200 },
  additionalProperties: { $ref: '#/components/schemas/SiteRole' },
  maxProperties: 1000,
});
const password = (description: string): JsonSchema => ({ type: 'string', minLength: 12, maxLength: 200, description });

/** Users, their site roles, sessions and tokens (lib/auth). */
const AUTH_SCHEMAS: Record<string, JsonSchema> = {
  SiteRole: { enum: ['owner', 'resident', 'viewer'], description: 'owner: sees, controls, edits devices, manages the site\'s users; resident: sees and controls; viewer: sees.' },
  TokenRole: { enum: ['operator', 'owner', 'resident', 'viewer'], description: 'operator: everything (operators only); else that role at the token\'s sites.' },
  LoginRequest: object({ username: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 200 } }),
  User: object({
    id: { type: 'integer', minimum: 1 },
    username: { type: 'string' },
    operator: { type: 'boolean', description: 'The company: every site, every user, the editor.' },
    disabled: { type: 'boolean' },
    locked: { type: 'boolean', description: 'Locked out for now after too many wrong passwords.' },
    sites: siteRoles('Role per site (only the sites the caller manages, unless an operator or the user themself asks).'),
    createdAt: timestamp('When the user was made.'),
  }),
  UserList: object({ items: { type: 'array', items: { $ref: '#/components/schemas/User' } } }),
  Me: object({
    user: { $ref: '#/components/schemas/User' },
    via: { enum: ['session', 'token'], description: 'How this request proved who it is.' },
    csrfToken: { type: ['string', 'null'], description: 'Send it back in X-CSRF-Token on every write made with the session cookie; null for tokens.' },
    operator: { type: 'boolean', description: 'What this request may do: a token may do less than its user.' },
    sites: siteRoles('Role per site this request has (operators: every site).'),
    expiresAt: { anyOf: [timestamp('When the session ends.'), { type: 'null' }] },
  }),
  UserCreate: object(
    {
      username: { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Letters, digits and . _ @ -, at most 64.' },
      password: password('At least 12 characters (at most 72 bytes).'),
      operator: { type: 'boolean', description: 'Only operators make operators.' },
      sites: siteRoles('Roles to give; an owner may give roles at the sites they own only.'),
    },
    ['username', 'password'],
  ),
  UserPatch: object(
    {
      password: password('A new password; ends the user\'s other sessions and revokes all their API tokens.'),
      currentPassword: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        description: 'Your current password: required to change your own password (which takes a session, not an API token).',
      },
      disabled: { type: 'boolean', description: 'A disabled user cannot sign in; their sessions end and tokens stop working.' },
      operator: { type: 'boolean', description: 'Operators only.' },
    },
    [],
    { minProperties: 1 },
  ),
  SiteRoleRequest: object({ role: { $ref: '#/components/schemas/SiteRole' } }),
  Token: object({
    id: { type: 'integer', minimum: 1 },
    name: { type: 'string' },
    username: { type: 'string', description: 'Whose token it is: it never does more than they may.' },
    role: { $ref: '#/components/schemas/TokenRole' },
    sites: { type: 'array', items: { type: 'string' } },
    createdAt: timestamp('When it was made.'),
    expiresAt: { anyOf: [timestamp('When it stops working.'), { type: 'null' }] },
    revokedAt: { anyOf: [timestamp('When it was revoked.'), { type: 'null' }] },
    lastUsedAt: { anyOf: [timestamp('Its last use.'), { type: 'null' }] },
  }),
  TokenList: object({ items: { type: 'array', items: { $ref: '#/components/schemas/Token' } } }),
  TokenCreate: object(
    {
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'What the token is for.' },
      role: { $ref: '#/components/schemas/TokenRole' },
      sites: { type: 'array', items: SITE_NAME, maxItems: 1000, uniqueItems: true, description: 'Sites it covers (not for operator tokens).' },
      expiresAt: { type: 'string', format: 'date-time', description: 'When it stops working; none: until revoked.' },
    },
    ['name', 'role'],
  ),
  NewToken: object(
    {
      token: { type: 'string', pattern: '^octo_[A-Za-z0-9_-]{43}$', description: 'The secret, shown this once: only its hash is kept.' },
      details: { $ref: '#/components/schemas/Token' },
    },
  ),
};

const SCHEMAS: Record<string, JsonSchema> = {
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
    Object.fromEntries(Object.entries(metaFields(true)).map(([k, s]) => [k, nullable(s)])),
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
};

export const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
export const answer = (description: string, schema: string) => ({ description, content: json(ref(schema)) });
export const failure = (description: string) => answer(description, 'Error');

type Responses = Operation['responses'];

/**
 * An operation's answers plus those every route may give: 400 for a parameter it does not take
 * (unless the operation words its own 400), 500; for signed-in routes 401 (no or bad credentials)
 * and 403 (not allowed, or a cookie write without its CSRF token); 503 while no registry is deployed,
 * its database or the user store does not answer.
 */
export function responses(specific: Responses, needs: { registry?: boolean; signedIn?: boolean } = {}): Responses {
  const registry = needs.registry ?? true;
  const signedIn = needs.signedIn ?? true;
  const all: Responses = {
    '400': failure('A query parameter this route does not take, or a malformed path parameter.'),
    ...(signedIn
      ? {
          '401': failure('Not signed in: no session cookie or bearer token, or an expired, revoked or unknown one.'),
          '403': failure('Signed in, but not allowed this; or a write with the session cookie but without the X-CSRF-Token header, or from another origin.'),
        }
      : {}),
    ...specific,
    '500': failure('Unexpected failure.'),
  };
  if (registry || signedIn) all['503'] = failure('The device registry is not deployed, or its database (or the user store) does not answer.');
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
}

/** One attribute of the device over a time range: the query of /readings and /history. */
const seriesRange: Parameter[] = [
  { name: 'attribute', in: 'query', required: true, description: 'Attribute name.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
  { name: 'from', in: 'query', description: 'Start, ISO 8601 with offset (default: `to` − 24 h).', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', in: 'query', description: 'End, ISO 8601 with offset (default: now).', schema: { type: 'string', format: 'date-time' } },
];

export const deviceId: Parameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Device id, URL-encoded as one segment (`casa/salon/termo` → `casa%2Fsalon%2Ftermo`).',
  schema: { type: 'string', minLength: 1 },
};

const pageParams = (max: number, deflt: number): Parameter[] => [
  { name: 'limit', in: 'query', description: `Items per page (at most ${max}).`, schema: { type: 'integer', minimum: 0, maximum: max, default: deflt } },
  // Bounded so that it always fits the database's bigint: a bigger one is a client's mistake, not a 503.
  { name: 'offset', in: 'query', description: 'Items to skip.', schema: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 } },
];

export const filter = (name: string, description: string): Parameter => ({ name, in: 'query', description, schema: { type: 'string', minLength: 1, maxLength: 200 } });

const userId: Parameter = { name: 'userId', in: 'path', required: true, description: 'User id.', schema: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } };
export const siteParam: Parameter = { name: 'site', in: 'path', required: true, description: 'Site name.', schema: SITE_NAME };
const bodyOf = (schema: string) => ({ required: true as const, content: json(ref(schema)) });
const noRegistry = { registry: false };
export const bodyFailures = { '413': failure('Body larger than 64 KB.'), '415': failure('Body not JSON.') };

const AUTH_PATHS: OpenApiDocument['paths'] = {
  '/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in: sets the session cookie (httpOnly, SameSite=Lax) and answers the CSRF token',
      description: 'Five wrong passwords in a row lock the account (1 min, then doubling up to 1 h); each address has 20 attempts a minute.',
      tags: ['auth'],
      security: [],
      requestBody: bodyOf('LoginRequest'),
      responses: responses(
        {
          '200': { description: 'Signed in; the Set-Cookie header carries the session.', headers: { 'Set-Cookie': { description: 'octopus_session', schema: { type: 'string' } } }, content: json(ref('Me')) },
          '400': failure('Invalid body.'),
          '401': failure('Wrong username or password.'),
          '403': failure('Sent from a page of another origin.'),
          '429': failure('Too many attempts: the account is locked or the address is rate limited (see Retry-After).'),
          ...bodyFailures,
          '503': failure('The user store does not answer.'),
        },
        { registry: false, signedIn: false },
      ),
    },
  },
  '/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'Sign out: ends the session and clears the cookie',
      tags: ['auth'],
      responses: responses({ '204': { description: 'Signed out.' } }, noRegistry),
    },
  },
  '/auth/me': {
    get: {
      operationId: 'me',
      summary: 'Who is signed in, what this request may do, and the CSRF token',
      tags: ['auth'],
      responses: responses({ '200': answer('The caller.', 'Me') }, noRegistry),
    },
  },
  '/users': {
    get: {
      operationId: 'listUsers',
      summary: 'Users: all for operators, those of the owner\'s sites for owners',
      tags: ['auth'],
      responses: responses({ '200': answer('Users by name.', 'UserList') }, noRegistry),
    },
    post: {
      operationId: 'createUser',
      summary: 'Make a user (operators: any; owners: with roles at their own sites only)',
      tags: ['auth'],
      requestBody: bodyOf('UserCreate'),
      responses: responses({ '201': answer('The user.', 'User'), '400': failure('Invalid body or password.'), '409': failure('The username is taken.'), ...bodyFailures }, noRegistry),
    },
  },
  '/users/{userId}': {
    get: {
      operationId: 'getUser',
      summary: 'One user',
      tags: ['auth'],
      parameters: [userId],
      responses: responses({ '200': answer('The user.', 'User'), '404': failure('No such user, or not one the caller manages.') }, noRegistry),
    },
    patch: {
      operationId: 'updateUser',
      summary: 'Change a password, disable or enable, make or unmake an operator',
      description:
        'Anyone signed in with a session may change their own password, sending currentPassword (an API token never can); owners manage users whose every role is at a site they own. ' +
        'A new password ends every other session of the user and revokes all their API tokens. With an API token, only what its role and sites allow.',
      tags: ['auth'],
      parameters: [userId],
      requestBody: bodyOf('UserPatch'),
      responses: responses(
        {
          '200': answer('The user as changed.', 'User'),
          '400': failure('Invalid body or password, or currentPassword missing.'),
          '404': failure('No such user.'),
          '409': failure('You cannot disable or unmake yourself.'),
          '429': failure('Too many wrong current passwords: the account is locked (see Retry-After).'),
          ...bodyFailures,
        },
        noRegistry,
      ),
    },
    delete: {
      operationId: 'deleteUser',
      summary: 'Delete a user with their sessions and tokens',
      tags: ['auth'],
      parameters: [userId],
      responses: responses({ '204': { description: 'Deleted.' }, '404': failure('No such user.'), '409': failure('You cannot delete yourself.') }, noRegistry),
    },
  },
  '/users/{userId}/sites/{site}': {
    put: {
      operationId: 'setSiteRole',
      summary: 'Give a user a role at a site (operators; owners at their own sites)',
      tags: ['auth'],
      parameters: [userId, siteParam],
      requestBody: bodyOf('SiteRoleRequest'),
      responses: responses({ '200': answer('The user as changed.', 'User'), '400': failure('Invalid body.'), '404': failure('No such user.'), ...bodyFailures }, noRegistry),
    },
    delete: {
      operationId: 'removeSiteRole',
      summary: 'Take a user\'s role at a site away',
      tags: ['auth'],
      parameters: [userId, siteParam],
      responses: responses({ '204': { description: 'Removed.' }, '404': failure('No such user, or no role there.') }, noRegistry),
    },
  },
  '/tokens': {
    get: {
      operationId: 'listTokens',
      summary: 'API tokens: one\'s own; operators see all; a non-operator API token itself and those at sites it manages',
      tags: ['auth'],
      responses: responses({ '200': answer('Tokens, newest first (never the secrets).', 'TokenList') }, noRegistry),
    },
    post: {
      operationId: 'createToken',
      summary: 'Make an API token for scripts, scoped to a role at some sites, optionally expiring',
      description: 'With an API token: only at sites it manages (owner role, or an operator token), and never outliving it (its expiry is the default).',
      tags: ['auth'],
      requestBody: bodyOf('TokenCreate'),
      responses: responses({ '201': answer('The token; its secret is shown this once.', 'NewToken'), '400': failure('Invalid body.'), ...bodyFailures }, noRegistry),
    },
  },
  '/tokens/{tokenId}': {
    delete: {
      operationId: 'revokeToken',
      summary: 'Revoke a token (one\'s own; operators any; a non-operator API token itself and those at sites it manages)',
      tags: ['auth'],
      parameters: [{ name: 'tokenId', in: 'path', required: true, description: 'Token id.', schema: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } }],
      responses: responses({ '204': { description: 'Revoked.' }, '404': failure('No such token, or revoked already.') }, noRegistry),
    },
  },
};

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
        'Devices, readings and commands of the Octopus device registry. Errors are `{"error": "<sentence>"}`; times are ISO 8601 UTC.',
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: 'sites', description: 'Sites and rooms, with device counts.' },
      { name: 'devices', description: 'Devices, their metadata, attributes and readings.' },
      { name: 'commands', description: 'Commands to devices and their outcomes.' },
      { name: 'meta', description: 'About the API.' },
      { name: 'auth', description: 'Signing in and out, users and their roles per site, API tokens.' },
      ...ENERGY_TAGS,
    ],
    // Energy and export live in their own module (lib/api/openapi-energy.ts), built on call: it uses this one's helpers.
    paths: { ...PATHS, ...energyPaths() },
    components: {
      schemas: { ...SCHEMAS, ...energySchemas() },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'octopus_session', description: 'Set by POST /auth/login. Writes also need the X-CSRF-Token header.' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`octo_…`) from POST /tokens.' },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
  };
}
