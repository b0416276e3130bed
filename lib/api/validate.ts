import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import type { ApiBodies } from './api-bodies';
import { HttpError } from './http';
import type { HttpMethod, OpenApiDocument, Operation } from './openapi';
import { API_FORMATS } from './formats';

/**
 * Request validation with ajv against the OpenAPI document itself: the document is added to ajv
 * whole, and each validator is a `$ref` into it (a component schema, or the schema of a route's
 * parameter), so what is published and what is enforced are one and the same text.
 */
const DOC_ID = 'urn:octopus:openapi';

/** A 400 naming the offending parameter or field, so a route can word it for its context. */
export class ValidationError extends HttpError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(400, message);
  }
}

export interface Validators {
  /** Checks a parsed JSON body against a component schema; returns it with the type derived from that schema. */
  body<K extends keyof ApiBodies>(schemaName: K, data: unknown): ApiBodies[K];
  /** Checks a route's path parameters and query string; returns them with defaults filled in and numbers as numbers. */
  parameters(path: string, method: HttpMethod, values: { path: Record<string, unknown>; query: Record<string, unknown> }): {
    path: Record<string, unknown>;
    query: Record<string, unknown>;
  };
}

type Where = 'body' | 'query' | 'path';

export function createValidators(doc: OpenApiDocument): Validators {
  // Query strings and path segments are text: ajv turns "50" into 50 for integer parameters. Bodies
  // are JSON and typed already, so they get an instance that coerces nothing.
  const paramAjv = newAjv(true);
  const bodyAjv = newAjv(false);
  paramAjv.addSchema(doc, DOC_ID);
  bodyAjv.addSchema(doc, DOC_ID);

  const bodies = new Map<string, ValidateFunction>();
  const params = new Map<string, { validate: ValidateFunction; names: string[]; defaults: Record<string, unknown> }>();

  const paramValidator = (path: string, method: HttpMethod, where: 'query' | 'path') => {
    const key = `${method} ${path} ${where}`;
    let v = params.get(key);
    if (!v) {
      const list = doc.paths[path]?.[method]?.parameters ?? [];
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      const defaults: Record<string, unknown> = {};
      list.forEach((p, i) => {
        if (p.in !== where) return;
        properties[p.name] = { $ref: `${DOC_ID}#/paths/${pointerEscape(path)}/${method}/parameters/${i}/schema` };
        if (p.required) required.push(p.name);
        if (p.schema.default !== undefined) defaults[p.name] = p.schema.default;
      });
      v = {
        validate: paramAjv.compile({ type: 'object', properties, required, additionalProperties: false }),
        names: Object.keys(properties),
        defaults,
      };
      params.set(key, v);
    }
    return v;
  };

  const checkParams = (path: string, method: HttpMethod, where: 'query' | 'path', given: Record<string, unknown>) => {
    const v = paramValidator(path, method, where);
    // A copy: coercion writes into the object it validates, and express's own must stay as it was.
    const values: Record<string, unknown> = { ...given };
    if (!v.validate(values)) throw sentence(v.validate.errors ?? [], where, v.names);
    for (const [name, value] of Object.entries(v.defaults)) if (values[name] === undefined) values[name] = value;
    return values;
  };

  // Compiled now rather than on first use: a schema ajv refuses is a bug to meet at start, not a 500 later.
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations) as Array<[HttpMethod, Operation]>) {
      paramValidator(path, method, 'path');
      paramValidator(path, method, 'query');
      const schema = op.requestBody?.content['application/json'].schema.$ref;
      if (typeof schema === 'string') bodies.set(schema.split('/').pop() as string, bodyAjv.compile({ $ref: `${DOC_ID}${schema}` }));
    }
  }

  return {
    body<K extends keyof ApiBodies>(schemaName: K, data: unknown): ApiBodies[K] {
      const validate = bodies.get(schemaName);
      if (!validate) throw new Error(`no request body in the OpenAPI document uses schema ${schemaName}`);
      if (!validate(data)) throw sentence(validate.errors ?? [], 'body', []);
      return data as ApiBodies[K];
    },
    parameters(path, method, values) {
      return { path: checkParams(path, method, 'path', values.path), query: checkParams(path, method, 'query', values.query) };
    },
  };
}

function newAjv(coerceTypes: boolean): Ajv2020 {
  // verbose: errors carry the offending value and its schema, which the sentences quote.
  const ajv = new Ajv2020({ coerceTypes, verbose: true, strict: true, allowUnionTypes: true });
  for (const [name, format] of Object.entries(API_FORMATS)) ajv.addFormat(name, format);
  // The document's own keywords around the schemas: known, never applied.
  for (const keyword of ['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security']) ajv.addKeyword(keyword);
  return ajv;
}

function pointerEscape(segment: string): string {
  return encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
  null: 'null',
};

const COMPARISON_WORDS: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'more than', '<': 'less than' };

const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time with a UTC offset, such as 2026-11-23T10:00:00Z',
  uuid: 'a UUID',
};

/** Ajv's first error as one sentence a person can act on, naming the parameter or field. */
export function sentence(errors: readonly ErrorObject[], where: Where, allowed: readonly string[]): ValidationError {
  const e = errors[0];
  if (!e) return new ValidationError(where === 'body' ? 'the request body is invalid' : `invalid ${where} parameters`, '');
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const field = segments.join('.');
  const subject = (name: string) => {
    if (where !== 'body') return `${where} parameter "${name}"`;
    return name === '' ? 'the request body' : `field "${name}"`;
  };
  const join = (child: string) => (field === '' ? child : `${field}.${child}`);
  // An error about a key rather than a value (propertyNames) names the key inside its object.
  const key = (e as { propertyName?: string }).propertyName;
  const it = key === undefined ? subject(field) : `key ${JSON.stringify(key)} in ${subject(field)}`;
  const value = e.data;
  const quoted = where === 'body' ? describe(value) : JSON.stringify(value);
  const p = e.params as Record<string, unknown>;

  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return new ValidationError(`${subject(join(missing))} is required`, join(missing));
    }
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const names = where === 'body' ? Object.keys((e.parentSchema?.properties as object | undefined) ?? {}) : allowed;
      const known = names.length > 0 ? ` (allowed: ${names.join(', ')})` : where === 'body' ? '' : ' (this route takes none)';
      const what = where === 'body' ? `field "${join(extra)}"` : `${where} parameter "${extra}"`;
      return new ValidationError(`unknown ${what}${known}`, join(extra));
    }
    case 'type': {
      const types = String(p.type).split(',');
      const words = types.length === 1 ? TYPE_WORDS[types[0]] ?? types[0] : list(types.map((t) => (t === 'boolean' ? 'a boolean' : TYPE_WORDS[t] ?? t)));
      return new ValidationError(`${it} must be ${words}, not ${quoted}`, field);
    }
    case 'enum':
      return new ValidationError(`${it} must be one of ${(p.allowedValues as unknown[]).map((v) => (where === 'body' ? JSON.stringify(v) : String(v))).join(', ')}, not ${quoted}`, field);
    case 'const':
      return new ValidationError(`${it} must be ${JSON.stringify(p.allowedValue)}, not ${quoted}`, field);
    case 'format':
      return new ValidationError(`${it} must be ${FORMAT_WORDS[String(p.format)] ?? `in ${String(p.format)} format`}, not ${quoted}`, field);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return new ValidationError(`${it} must be ${COMPARISON_WORDS[String(p.comparison)] ?? String(p.comparison)} ${String(p.limit)}, not ${quoted}`, field);
    case 'minLength':
      return new ValidationError(p.limit === 1 ? `${it} must not be empty` : `${it} must be at least ${String(p.limit)} characters long`, field);
    case 'maxLength':
      return new ValidationError(`${it} must be at most ${String(p.limit)} characters long`, field);
    case 'pattern': {
      // A regular expression tells a person little: the schema's description says what is wanted.
      const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
      if (typeof description !== 'string') return new ValidationError(`${it} ${e.message ?? 'is invalid'}`, field);
      return new ValidationError(`${quoted} is not valid for ${it}: ${description}`, field);
    }
    case 'false schema':
      return new ValidationError(`${it} is not allowed here`, field);
    default:
      return new ValidationError(`${it} ${e.message ?? 'is invalid'}`, field);
  }
}

function list(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}
