import { answer, bodyFailures, bodyOf, failure, json, noRegistry, object, ref, responses, SITE_NAME, siteParam, timestamp, userId, type JsonSchema, type OpenApiDocument } from './openapi-parts';

/** The sign-in, users and tokens part of the OpenAPI document (lib/api/auth-routes.ts serves it). */
const siteRoles = (description: string) =>
  ({
    type: 'object',
    description,
    propertyNames: { minLength: 1, maxLength: 200 },
    additionalProperties: { $ref: '#/components/schemas/SiteRole' },
    maxProperties: 1000,
  }) as const;
const password = (description: string) => ({ type: 'string', minLength: 12, maxLength: 200, description }) as const;

/** Users, their site roles, sessions and tokens (lib/auth). */
export const AUTH_SCHEMAS = {
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
} as const satisfies Record<string, JsonSchema>;

export const AUTH_PATHS: OpenApiDocument['paths'] = {
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
