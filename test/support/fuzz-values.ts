import fc from 'fast-check';
import type { JsonSchema } from '../../lib/api/openapi';

/**
 * Values for the API fuzz: hostile ones (wrong types, huge strings, deep nesting, prototype keys,
 * NUL, numbers JSON cannot say), valid-shaped ones made from the OpenAPI document's own schemas,
 * and mutations of those. Bodies become bytes in `encodeBody`, where raw number text and invalid
 * UTF-8 are spliced in.
 */

/** A string JSON.stringify leaves as is, replaced by `text` verbatim in the body: numbers JSON has no way to say. */
const RAW = '\u0001RAW:';
const raw = (text: string) => `${RAW}${text}\u0001`;

export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '..',
  '../../etc/passwd',
  '%2F',
  '%00',
  '%zz',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '${7*7}',
  '<script>alert(1)</script>',
  "'; drop table auth_users; --",
  '\\',
  '"',
  '\ud800',
  '\udfff',
  '\u202eevil',
  'e\u0301\u0301\u0301',
  '🐙'.repeat(30),
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '0x10',
  'true',
  'null',
  'undefined',
  '2026-02-30T25:61:61Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000000',
  'a/b/c',
  '#',
  '+/+/+',
  '\r\n\r\nX-Injected: 1',
];

export const HOSTILE_NUMBERS: unknown[] = [0, -0, -1, 1.5, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e21, raw('1e999'), raw('-1e999'), raw('NaN'), raw('-0'), raw('1E+308'), raw('0.0000000000000000000000001e-400'), raw('1' + '0'.repeat(400))];

const hugeString = fc.constantFrom(1000, 10_000, 70_000).chain((n) => fc.constantFrom('a', '\u0000', 'é', '🐙', '%', '\\').map((c) => c.repeat(Math.ceil(n / c.length))));

/** Nested `depth` levels deep in lists or objects (as raw text: JSON.stringify itself would overflow its stack). */
export const deepNesting = fc.record({ depth: fc.constantFrom(50, 1000, 5000, 20_000), list: fc.boolean() }).map(({ depth, list }) =>
  raw(list ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

/** An object that has `key` as its own property, `__proto__` included (a literal would set the prototype). */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', '__defineGetter__', 'isAdmin', 'operator');

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(null, true, false, [], {}, [null], { '': '' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  hugeString,
  fc.integer(),
  fc.double(),
  fc.constant(null).chain(() => deepNesting),
  protoKey.map((k) => withOwnKey({}, k, { operator: true, polluted: 'yes' })),
  fc.jsonValue({ maxDepth: 3 }),
);

/** What the generator knows of the world: ids to aim at (by what they name) and free text. */
export interface Pools {
  deviceIds: readonly string[];
  sites: readonly string[];
  attributes: readonly string[];
}

/** A value valid in shape for `schema` (its $refs resolved in `schemas`), with ids from `pools` where the field names one. */
export function fromSchema(schema: JsonSchema, schemas: Record<string, JsonSchema>, pools: Pools, field = '', depth = 0): fc.Arbitrary<unknown> {
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return fromSchema(schemas[s.$ref.split('/').pop() as string], schemas, pools, field, depth + 1);
  if (depth > 8) return fc.constant(null);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) return fc.oneof(...(s[k] as JsonSchema[]).map((x) => fromSchema(x, schemas, pools, field, depth + 1)));
  }
  if (field === 'deviceId') return fc.constantFrom(...pools.deviceIds);
  if (field === 'attribute') return fc.constantFrom(...pools.attributes);
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : s.properties ? ['object'] : ['string'];
  return fc.constantFrom(...types).chain((type) => ofType(type, s, schemas, pools, field, depth));
}

function ofType(type: string, s: Record<string, unknown>, schemas: Record<string, JsonSchema>, pools: Pools, field: string, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: Math.max(Number(s.minimum ?? -1e9), -1e12), max: Math.min(Number(s.maximum ?? 1e9), 1e12) });
    case 'number':
      return fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    case 'array': {
      const item = field === 'sites' ? fc.constantFrom(...pools.sites) : fromSchema((s.items ?? {}) as JsonSchema, schemas, pools, field, depth + 1);
      return fc.array(item, { maxLength: 4 }).map((xs) => (s.uniqueItems ? [...new Set(xs)] : xs));
    }
    case 'object':
      return objectOf(s, schemas, pools, field, depth);
    default:
      return stringOf(s, pools, field);
  }
}

function stringOf(s: Record<string, unknown>, pools: Pools, field: string): fc.Arbitrary<string> {
  if (s.format === 'date-time') return fc.date({ min: new Date(Date.now() - 1e10), max: new Date(Date.now() + 1e12), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'uuid') return fc.uuid();
  if (field === 'site') return fc.constantFrom(...pools.sites);
  const min = Number(s.minLength ?? 0);
  const max = Math.min(Number(s.maxLength ?? 40), 80);
  if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= 64);
  return fc.oneof(fc.string({ minLength: min, maxLength: Math.max(min, max) }), fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, max) })).map((x) => (x.length < min ? x.padEnd(min, 'x') : x));
}

function objectOf(s: Record<string, unknown>, schemas: Record<string, JsonSchema>, pools: Pools, field: string, depth: number): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  const extra = s.additionalProperties;
  if (Object.keys(properties).length === 0 && extra && typeof extra === 'object') {
    // A map: site roles by site, controls by attribute.
    const key = field === 'sites' ? fc.constantFrom(...pools.sites) : fc.constantFrom(...pools.attributes);
    return fc.dictionary(key, fromSchema(extra as JsonSchema, schemas, pools, '', depth + 1), { maxKeys: 3 });
  }
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(properties)) fields[name] = fromSchema(sub, schemas, pools, name, depth + 1);
  return fc.record(fields, { requiredKeys: [...required].filter((k) => k in fields) });
}

/** A valid-shaped value, often broken: a field made hostile, a required one dropped, an unknown or prototype key added, wrapped, or replaced. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const asObject = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: fc.tuple(valid, hostileValue, fc.nat()).map(([v, bad, i]) => {
      const o = asObject(v);
      const keys = o ? Object.keys(o) : [];
      return o && keys.length > 0 ? withOwnKey(o, keys[i % keys.length], bad) : bad;
    }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([v, i]) => {
      const o = asObject(v);
      if (!o) return v;
      const keys = Object.keys(o);
      return Object.fromEntries(Object.entries(o).filter(([k]) => k !== keys[i % Math.max(1, keys.length)]));
    }) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.oneof(protoKey, fc.string({ maxLength: 12 })), hostileValue).map(([v, k, bad]) => (asObject(v) ? withOwnKey(asObject(v) as Record<string, unknown>, k, bad) : v)) },
    { weight: 1, arbitrary: valid.map((v) => [v]) },
    { weight: 2, arbitrary: hostileValue },
  );
}

/** How a body's bytes are spoiled after serialising, if at all. */
export type ByteDamage = 'none' | 'truncate' | 'nul' | 'invalid-utf8' | 'bom' | 'trailing-garbage' | 'not-json';
export const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<ByteDamage>('none') },
  { weight: 1, arbitrary: fc.constantFrom<ByteDamage>('truncate', 'nul', 'invalid-utf8', 'bom', 'trailing-garbage', 'not-json') },
);

/** The body's bytes: JSON with raw numbers spliced in, then damaged. */
export function encodeBody(value: unknown, damage: ByteDamage, at: number): Buffer {
  const text = (JSON.stringify(value) ?? 'null').replace(/"\\u0001RAW:(.*?)\\u0001"/g, '$1');
  const bytes = Buffer.from(text, 'utf8');
  const cut = bytes.length === 0 ? 0 : at % bytes.length;
  switch (damage) {
    case 'truncate':
      return bytes.subarray(0, cut);
    case 'nul':
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from([0]), bytes.subarray(cut)]);
    case 'invalid-utf8':
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), bytes.subarray(cut)]);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'trailing-garbage':
      return Buffer.concat([bytes, Buffer.from(' }{"x":1}')]);
    case 'not-json':
      return Buffer.from(['NaN', 'undefined', "{'a': 1}", '{"a": 1,}', '[1, 2', '\u0000', 'a=b&c=d'][at % 7]);
    default:
      return bytes;
  }
}
