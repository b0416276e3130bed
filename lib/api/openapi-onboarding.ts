/**
 * The onboarding part of the OpenAPI document (lib/api/openapi.ts merges it in): houses,
 * invitations, and broker credentials of devices and hubs with their ready-to-paste firmware
 * settings and first reading. Built by functions, not at load.
 */
import { FIRMWARES } from '../onboarding/firmware-config';
import { SITE_NAME, answer, bodyFailures, failure, json, nullable, object, ref, responses, siteParam, timestamp, type OpenApiDocument, type Parameter } from './openapi-parts';

export const ONBOARDING_TAGS = [{ name: 'onboarding', description: 'Houses, invitations, and broker credentials of devices and hubs, made and revoked while the broker runs.' }];

// Postgres text holds no NUL: names carry no control characters at all.
const PLAIN = '^[^\\u0000-\\u001f\\u007f]*$';
const text = (max: number, description: string) => ({ type: 'string', minLength: 1, maxLength: max, pattern: PLAIN, description }) as const;
const ROLE = { enum: ['viewer', 'resident', 'owner'] } as const;

export function onboardingSchemas() {
  const credential = object({
    id: { type: 'integer' },
    site: { type: 'string' },
    kind: { enum: ['device', 'hub'] },
    name: { type: 'string' },
    room: { type: ['string', 'null'] },
    deviceKind: { type: ['string', 'null'] },
    firmware: { type: 'string' },
    topicId: { type: 'string', description: 'The device\'s own topic level (Tasmota\'s Topic).' },
    username: { type: 'string' },
    clientId: { type: 'string', description: 'The one client id the broker accepts with this username.' },
    createdAt: timestamp('When it was added.'),
    createdBy: { type: 'string' },
    rotatedAt: nullable(timestamp('Last new password.')),
    revokedAt: nullable(timestamp('When it was cut off; null while it may connect.')),
  });
  return {
    House: object({ site: SITE_NAME, name: { type: ['string', 'null'] }, timeZone: { type: 'string' }, latitude: { type: ['number', 'null'] }, longitude: { type: ['number', 'null'] } }),
    HouseList: object({ items: { type: 'array', items: ref('House') } }),
    HouseCreate: object(
      {
        site: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$', description: 'Site id: the first level of its topics (letters, digits, _ . -).' },
        name: text(200, 'Name shown to people.'),
        timeZone: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'IANA zone name.' },
        latitude: { type: 'number', minimum: -90, maximum: 90 },
        longitude: { type: 'number', minimum: -180, maximum: 180 },
      },
      ['site', 'name', 'timeZone'],
    ),
    InvitationCreate: object({ role: ROLE, email: { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@\\u0000-\\u001f\\u007f]+@[^\\s@\\u0000-\\u001f\\u007f]+$', description: 'Whom it is for (a note; nothing is mailed).' } }, ['role']),
    Invitation: object({
      id: { type: 'integer' },
      site: { type: 'string' },
      role: ROLE,
      email: { type: ['string', 'null'] },
      createdAt: timestamp('When it was made.'),
      createdBy: { type: 'string' },
      expiresAt: timestamp('It cannot be used after this.'),
      acceptedAt: nullable(timestamp('When it was used.')),
    }),
    InvitationCreated: object({ invitation: ref('Invitation'), token: { type: 'string', description: 'Shown once: the link carries it.' }, acceptPath: { type: 'string', description: 'The page that accepts it, below the app\'s root.' } }),
    InvitationList: object({ items: { type: 'array', items: ref('Invitation') } }),
    InvitationAccept: object({ token: { type: 'string', minLength: 10, maxLength: 100 }, username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }, password: { type: 'string', minLength: 1, maxLength: 1024 } }),
    AcceptedInvitation: object({ id: { type: 'integer' }, username: { type: 'string' }, site: { type: 'string' }, role: ROLE }),
    DeviceCredentialsCreate: object(
      { name: text(100, 'What people call it.'), room: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^/#+\\s\\u0000-\\u001f\\u007f]+$', description: 'Room (one topic level).' }, kind: text(64, 'plug, sensor, thermostat…'), firmware: { enum: [...FIRMWARES] } },
      ['name', 'firmware'],
    ),
    HubCreate: object({ name: text(100, 'What people call the hub.') }, ['name']),
    Credential: credential,
    CredentialList: object({ site: { type: 'string' }, broker: { enum: ['mosquitto-dynsec', 'embedded', 'none'] }, items: { type: 'array', items: ref('Credential') } }),
    FirmwareSnippet: object({ firmware: { type: 'string' }, title: { type: 'string' }, where: { type: 'string' }, text: { type: 'string' } }),
    HubBundle: object({
      mosquittoConf: { type: 'string', description: 'The hub\'s mosquitto.conf: local listener and TLS bridge to the central broker.' },
      username: { type: 'string' },
      password: { type: 'string' },
      clientId: { type: 'string' },
      central: { type: 'string', description: 'host:port of the central TLS listener.' },
      caCert: { type: ['string', 'null'], description: 'The CA certificate (PEM) to save as /mosquitto/config/certs/central-ca.crt on the hub; null when the server was not given one (OCTOPUS_MQTT_CA_FILE).' },
    }),
    IssuedCredentials: object({
      credential: ref('Credential'),
      password: { type: 'string', description: 'Shown this once; only a hash is kept.' },
      broker: object({ host: { type: 'string' }, port: { type: 'integer' }, tlsPort: { type: ['integer', 'null'] } }),
      snippets: { type: 'array', items: ref('FirmwareSnippet') },
      hubBundle: nullable(ref('HubBundle')),
    }),
    FirstReading: object({
      state: { enum: ['waiting', 'reading', 'problem', 'revoked'] },
      message: { type: 'string', description: 'What happened, in words.' },
      reading: nullable(object({ deviceId: { type: 'string' }, attribute: { type: 'string' }, value: ref('ReadingValue'), unit: { type: ['string', 'null'] }, at: timestamp('When it arrived.') })),
      events: { type: 'array', items: object({ kind: { type: 'string' }, at: timestamp('When.'), detail: { type: 'string' } }) },
    }),
    CredentialStatus: object({ credential: ref('Credential'), firstReading: ref('FirstReading') }),
  };
}

const credentialId: Parameter = { name: 'credentialId', in: 'path', required: true, description: 'Credential id.', schema: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } };
const tags = ['onboarding'];
const writeFailures = { '400': failure('Bad body.'), ...bodyFailures };
const brokerAway = {
  '409': failure('The broker\'s users are not managed live here (files from npm run mqtt:users; no dynamic security admin client configured).'),
  '503': failure('The broker\'s admin client cannot log in or the broker does not answer, or the registry or database is away.'),
};

export function onboardingPaths(): OpenApiDocument['paths'] {
  return {
    '/houses': {
      get: { operationId: 'listHouses', summary: 'The houses the caller sees, with name, time zone and location', tags, responses: responses({ '200': answer('Houses by site.', 'HouseList') }) },
      post: {
        operationId: 'createHouse',
        summary: 'Create a house (operators)',
        tags,
        requestBody: { required: true, content: json(ref('HouseCreate')) },
        responses: responses({ '201': answer('The house.', 'House'), '409': failure('The house exists.'), ...writeFailures }),
      },
    },
    '/sites/{site}/invitations': {
      get: { operationId: 'listInvitations', summary: 'Invitations to the site (owners)', tags, parameters: [siteParam], responses: responses({ '200': answer('Newest first.', 'InvitationList') }) },
      post: {
        operationId: 'createInvitation',
        summary: 'Invite someone to the site: owners invite residents and viewers, operators owners too',
        description: 'The answer holds a one-time token (valid 7 days); the link /ui/accept?invitation=<token> lets its holder choose a username and password.',
        tags,
        parameters: [siteParam],
        requestBody: { required: true, content: json(ref('InvitationCreate')) },
        responses: responses({ '201': answer('The invitation and its token, shown once.', 'InvitationCreated'), ...writeFailures }),
      },
    },
    '/invitations/accept': {
      post: {
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation: makes the user with the invited role',
        tags,
        security: [],
        requestBody: { required: true, content: json(ref('InvitationAccept')) },
        responses: responses(
          { '201': answer('The new user.', 'AcceptedInvitation'), '400': failure('Bad body or too weak a password.'), '409': failure('The username is taken.'), '410': failure('Unknown, used or expired invitation.'), ...bodyFailures },
          { signedIn: false },
        ),
      },
    },
    '/sites/{site}/device-credentials': {
      get: { operationId: 'listDeviceCredentials', summary: 'Devices and hubs given broker credentials at the site (owners)', tags, parameters: [siteParam], responses: responses({ '200': answer('Oldest first.', 'CredentialList') }) },
      post: {
        operationId: 'addDevice',
        summary: 'Add a device: its broker credentials (shown once) and ready-to-paste settings for its firmware (owners)',
        tags,
        parameters: [siteParam],
        requestBody: { required: true, content: json(ref('DeviceCredentialsCreate')) },
        responses: responses({ '201': answer('Credentials and settings.', 'IssuedCredentials'), ...writeFailures, ...brokerAway }),
      },
    },
    '/sites/{site}/hubs': {
      post: {
        operationId: 'addHub',
        summary: 'Add a hub: its credentials and bundle (mosquitto.conf with the TLS bridge, CA certificate), shown once (owners)',
        tags,
        parameters: [siteParam],
        requestBody: { required: true, content: json(ref('HubCreate')) },
        responses: responses({ '201': answer('Credentials and the hub bundle.', 'IssuedCredentials'), ...writeFailures, ...brokerAway }),
      },
    },
    '/device-credentials/{credentialId}': {
      get: {
        operationId: 'getDeviceCredential',
        summary: 'A device\'s credentials (without password) and what has arrived from it: its first reading or what went wrong (owners)',
        tags,
        parameters: [credentialId],
        responses: responses({ '200': answer('The credential and its first reading.', 'CredentialStatus'), '404': failure('Unknown credential.') }),
      },
      delete: {
        operationId: 'revokeDeviceCredential',
        summary: 'Revoke: the broker disconnects the device at once and refuses it from then on (owners)',
        tags,
        parameters: [credentialId],
        responses: responses({ '204': { description: 'Revoked.' }, '404': failure('Unknown credential.'), ...brokerAway }),
      },
    },
    '/device-credentials/{credentialId}/rotate': {
      post: {
        operationId: 'rotateDeviceCredential',
        summary: 'A new password at once (the old one stops working, connections made with it are closed on the embedded broker); shown once (owners)',
        tags,
        parameters: [credentialId],
        responses: responses({ '200': answer('The new credentials and settings.', 'IssuedCredentials'), '404': failure('Unknown credential.'), '410': failure('Revoked: add it again.'), ...brokerAway }),
      },
    },
  };
}
