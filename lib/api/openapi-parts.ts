/**
 * The building blocks of the OpenAPI document (lib/api/openapi.ts): its types, schema helpers,
 * the answers every route may give and the parameters several routes share. Each part of the API
 * (devices, auth, alerts, energy) describes its routes with these in its own openapi-*.ts file.
 */
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
  /** Not required: an empty body stands for an empty object (the alert actions). */
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema }; 'application/x-www-form-urlencoded'?: { schema: JsonSchema } } };
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

// The helpers keep the literal types of what they build (const type parameters), so that the types
// of request bodies can be derived from the very schemas published (lib/api/api-bodies.ts).
export const ref = <const N extends string>(name: N) => ({ $ref: `#/components/schemas/${name}` as const });
export const nullable = <const S extends JsonSchema>(schema: S) => ({ anyOf: [schema, { type: 'null' }] as const });
export const timestamp = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;

export function object<const P extends JsonSchema, const R extends readonly (keyof P & string)[] = Array<keyof P & string>, const E extends JsonSchema = Record<never, never>>(
  properties: P,
  required?: R,
  extra?: E,
): { type: 'object'; properties: P; required: R; additionalProperties: false } & E {
  return { type: 'object', properties, required: required ?? (Object.keys(properties) as unknown as R), additionalProperties: false, ...(extra as E) };
}

export const page = (item: string, description: string): JsonSchema =>
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

export const SITE_NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
export const answer = (description: string, schema: string) => ({ description, content: json(ref(schema)) });
export const failure = (description: string) => answer(description, 'Error');

export type Responses = Operation['responses'];

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
export const seriesRange: Parameter[] = [
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

export const pageParams = (max: number, deflt: number): Parameter[] => [
  { name: 'limit', in: 'query', description: `Items per page (at most ${max}).`, schema: { type: 'integer', minimum: 0, maximum: max, default: deflt } },
  // Bounded so that it always fits the database's bigint: a bigger one is a client's mistake, not a 503.
  { name: 'offset', in: 'query', description: 'Items to skip.', schema: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 } },
];

export const filter = (name: string, description: string): Parameter => ({ name, in: 'query', description, schema: { type: 'string', minLength: 1, maxLength: 200 } });

export const userId: Parameter = { name: 'userId', in: 'path', required: true, description: 'User id.', schema: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } };
export const siteParam: Parameter = { name: 'site', in: 'path', required: true, description: 'Site name.', schema: SITE_NAME };
export const bodyOf = (schema: string) => ({ required: true as const, content: json(ref(schema)) });
export const noRegistry = { registry: false };
export const bodyFailures = { '413': failure('Body larger than 64 KB.'), '415': failure('Body not JSON.') };
