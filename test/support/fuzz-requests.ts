import fc from 'fast-check';
import type { HttpMethod, JsonSchema, OpenApiDocument, Operation, Parameter } from '../../lib/api/openapi';
import type { FuzzRequest } from './fuzz-http';
import { byteDamage, encodeBody, fromSchema, HOSTILE_STRINGS, hostileValue, mutated, type Pools } from './fuzz-values';
import type { Houses, Identity } from './houses';

/**
 * Whole requests for the API fuzz: an operation of the OpenAPI document (the alerts API among
 * them), an identity, and random or hostile path parameters, query, headers and body. Writes aim
 * only where they cannot spoil the callers: a caller who could really change a device, user or
 * token aims at the expendable ones, or at the other house's.
 */

export interface FuzzOperation {
  method: string;
  template: string;
  parameters: Parameter[];
  body?: JsonSchema;
}

export interface FuzzCase {
  who: Identity;
  op: FuzzOperation;
  request: FuzzRequest;
}

/** Every operation of the document (the alerts API among them). */
export function operationsOf(doc: OpenApiDocument): FuzzOperation[] {
  const ops: FuzzOperation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods) as Array<[HttpMethod, Operation]>) {
      const body = op.requestBody?.content['application/json'].schema;
      // /commands/{id} names a command, /alerts/{id}… an alert, not a device.
      const idOf = template === '/commands/{id}' ? 'commandId' : template.startsWith('/alerts/{id}') ? 'alertId' : undefined;
      const parameters = (op.parameters ?? []).map((p) => (idOf && p.name === 'id' ? { ...p, name: idOf } : p));
      ops.push({ method: method.toUpperCase(), template, parameters, body });
    }
  }
  return ops;
}

/** Within what node:http takes in a request's head (16 KB with the headers): past it, node answers 431 before the app sees anything. */
const MAX_PATH = 4000;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Raw path segments that are trouble whatever the route: dots, encoded slashes and NULs, bad escapes, huge, foreign scripts. */
const HOSTILE_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2F',
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%C0%AE%C0%AE',
  '%FF%FE',
  '%F0%9F%90%99',
  '%E2%80%AE',
  '\u00e9',
  '-1',
  '0',
  '1e3',
  '1.5',
  '0x1',
  '99999999999999999999',
  '9007199254740993',
  '%20',
  '+',
  '__proto__',
  'constructor',
  'x'.repeat(3000),
  '%41'.repeat(600),
];

/** Where a caller's writes may aim: never at what it could really spoil, unless it cannot touch it. */
function targets(h: Houses, who: Identity, write: boolean) {
  const i = h.ids;
  const all = { devices: [...i.devicesA, ...i.devicesB], users: [...i.usersA, ...i.usersB, ...i.victims], tokens: [...i.tokensA, ...i.tokensB, ...i.spareTokens] };
  if (!write || who.side === 'nobody') return all;
  if (who.side === 'operator') return { devices: [...i.spareDevicesA, ...i.devicesB], users: i.victims, tokens: i.spareTokens };
  if (who.side === 'A') return { devices: [...i.spareDevicesA, ...i.devicesB], users: [...i.victims, ...i.usersB], tokens: [...i.spareTokens, ...i.tokensB] };
  return { devices: all.devices, users: [...i.victims, ...i.usersA], tokens: [...i.spareTokens, ...i.tokensA] };
}

/** encodeURIComponent that also takes lone surrogates: sent as their WTF-8 bytes, which are not UTF-8. */
export function percentEncode(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[^\ud800-\udfff]+|[\ud800-\udbff][\udc00-\udfff]/g, (part) => {
    if (part.length !== 1 || part.charCodeAt(0) < 0xd800 || part.charCodeAt(0) > 0xdfff) return encodeURIComponent(part);
    const c = part.charCodeAt(0);
    return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  });
}

/** Makes a path segment sendable by node:http (no spaces or characters beyond Latin-1) without otherwise changing it. */
const sendable = (s: string) => s.replace(/[^\u0021-\u00ff]|#|\?/gu, (c) => percentEncode(c));

function pathValue(h: Houses, who: Identity, write: boolean, p: Parameter): fc.Arbitrary<string> {
  const t = targets(h, who, write);
  const known: string[] =
    p.name === 'id' ? t.devices
    : p.name === 'userId' ? t.users.map(String)
    : p.name === 'tokenId' ? t.tokens.map(String)
    : p.name === 'site' ? [h.A, h.B, 'no-such-site']
    : p.name === 'alertId' ? [h.ids.alertA, h.ids.alertB]
    : [];
  const fresh = p.name === 'commandId' || p.name === 'alertId' ? fc.uuid() : fc.integer({ min: 1, max: 1e6 }).map(String);
  return fc.oneof(
    { weight: 6, arbitrary: known.length ? fc.constantFrom(...known).map(percentEncode) : fresh },
    { weight: 1, arbitrary: known.length ? fc.constantFrom(...known).map(sendable) : fresh },
    { weight: 1, arbitrary: fresh },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(percentEncode) },
  );
}

function queryPairs(h: Houses, op: FuzzOperation, pools: Pools, schemas: Record<string, JsonSchema>): fc.Arbitrary<string> {
  const documented = op.parameters.filter((p) => p.in === 'query');
  const valueFor = (p: Parameter): fc.Arbitrary<string> => {
    const ids = p.name === 'site' ? pools.sites : p.name === 'device' ? pools.deviceIds : p.name === 'attribute' ? pools.attributes : undefined;
    return fc.oneof(
      { weight: 5, arbitrary: ids ? fc.constantFrom(...ids) : fromSchema(p.schema, schemas, pools).map(String) },
      { weight: 2, arbitrary: hostileValue.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')).map((v) => v.slice(0, 5000)) },
    );
  };
  const pair = fc.oneof(
    ...(documented.length ? [{ weight: 6, arbitrary: fc.constantFrom(...documented).chain((p) => valueFor(p).map((v) => `${p.name}=${percentEncode(v)}`)) }] : []),
    ...(documented.length ? [{ weight: 1, arbitrary: fc.constantFrom(...documented).chain((p) => fc.constantFrom(`${p.name}[]=1`, `${p.name}[a]=1`, `${p.name}=`, p.name, `${p.name}=%zz`, `${p.name}=%00`)) }] : []),
    { weight: 1, arbitrary: fc.constantFrom('__proto__[operator]=true', 'constructor[prototype][x]=1', '__proto__=1', 'a[b][c][d][e][f]=1', 'a=1&a=2', '&&&', '=', '%=%', `site=${h.A}&site=${h.B}`, 'x'.repeat(2000) + '=1') },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...HOSTILE_STRINGS)).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`) },
  );
  return fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((xs) => `?${xs.join('&')}`) });
}

const headerValue = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\u0020-\u007e]/g, ''));
/** `arb` in `weight` cases of 10, else nothing. */
const maybe = <T>(arb: fc.Arbitrary<T>, weight = 4): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 10 - weight, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });

/** Headers beyond the credentials: Content-Type variants, Accept, Origin, X-Forwarded-For, junk cookies and Authorization. */
function extraHeaders(baseUrl: string, hasBody: boolean): fc.Arbitrary<Record<string, string>> {
  return fc
    .record({
      'Content-Type': hasBody
        ? fc.oneof(
            { weight: 8, arbitrary: fc.constant('application/json') },
            { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=UTF8', 'application/merge-patch+json', 'APPLICATION/JSON', 'application/json; charset="utf-8"; boundary=x') },
            { weight: 1, arbitrary: fc.constantFrom('', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/json;;;', 'json', 'application/xml', '*/*') },
            { weight: 1, arbitrary: headerValue },
          )
        : fc.constantFrom(undefined, undefined, undefined, 'application/json', 'text/plain'),
      Accept: maybe(fc.constantFrom('application/json', 'text/html', '*/*', 'text/event-stream', 'application/xml;q=0.9, */*;q=0.1', 'image/png'), 3),
      Origin: maybe(fc.constantFrom(baseUrl, 'http://evil.example', 'null', 'file://', `${baseUrl}.evil.example`, 'http://127.0.0.1:1'), 2),
      Referer: maybe(fc.constantFrom(`${baseUrl}/ui/`, 'http://evil.example/x'), 1),
      'X-Forwarded-For': maybe(fc.oneof(fc.constantFrom('1.2.3.4', '::1, 10.0.0.1', 'unknown', '300.1.1.1', ', ,', Array.from({ length: 200 }, (_, i) => `10.0.${i % 256}.1`).join(', ')), headerValue), 2),
      'X-Forwarded-Proto': maybe(fc.constantFrom('https', 'gopher'), 1),
      Cookie: maybe(fc.constantFrom('octopus_session=garbage', 'octopus_session=', `octopus_session=${'A'.repeat(43)}`, 'octopus_session=%00', 'a=b; octopus_session="x"; c', `octopus_session=${'x'.repeat(2000)}`, '====; ;'), 2),
      Authorization: maybe(fc.constantFrom('Bearer', 'Bearer ', 'Bearer garbage', `Bearer octo_${'A'.repeat(43)}`, `Bearer octo_${'A'.repeat(2000)}`, 'Basic YWRtaW46YWRtaW4=', 'Bearer a b c', 'Digest x', 'bearer octo_'), 2),
      'X-CSRF-Token': maybe(fc.constantFrom('', 'forged', 'A'.repeat(43)), 1),
      'Content-Encoding': hasBody ? maybe(fc.constantFrom('gzip', 'identity', 'br', 'x-squeeze', 'gzip, identity'), 1) : fc.constant(undefined),
      'X-Junk': maybe(headerValue, 1),
    })
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, string>);
}

/** One whole request: operation × identity × path parameters, query, headers and body. */
export function fuzzCase(h: Houses, baseUrl: string, ops: readonly FuzzOperation[], schemas: Record<string, JsonSchema>): fc.Arbitrary<FuzzCase> {
  return fc.record({ who: fc.constantFrom(...h.identities), op: fc.constantFrom(...ops) }).chain(({ who, op }) => {
    const write = WRITES.has(op.method);
    const t = targets(h, who, write);
    const pools: Pools = { deviceIds: [...t.devices, 'no/such/device'], sites: [h.A, h.B, 'no-such-site'], attributes: ['temperature', 'on', 'humidity', 'x'] };
    const params = op.parameters.filter((p) => p.in === 'path');
    const path = fc.tuple(...params.map((p) => pathValue(h, who, write, p))).map((values) => {
      let k = 0;
      return `/api/v1${op.template.replace(/\{\w+\}/g, () => values[k++])}`;
    });
    const hasBody = op.body !== undefined;
    const body = hasBody
      ? fc.oneof({ weight: 12, arbitrary: mutated(fromSchema(op.body as JsonSchema, schemas, pools)).map((v) => ({ v })) }, { weight: 1, arbitrary: fc.constant(undefined) })
      : fc.oneof({ weight: 15, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue.map((v) => ({ v })) });
    return fc
      .record({
        method: fc.oneof({ weight: 30, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
        path,
        query: queryPairs(h, op, pools, schemas),
        headers: extraHeaders(baseUrl, hasBody),
        body,
        damage: byteDamage,
        at: fc.nat(),
        shortBy: fc.oneof({ weight: 60, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }) }),
      })
      .map((r): FuzzCase => {
        const bytes = r.body === undefined ? undefined : encodeBody(r.body.v, r.damage, r.at);
        const headers = { ...r.headers, ...who.headers(r.method) };
        // A junk credential goes beside the identity's, never in place of it: a cookie joins the cookies.
        if (r.headers.Cookie && headers.Cookie !== r.headers.Cookie) headers.Cookie = `${r.headers.Cookie}; ${headers.Cookie}`;
        return { who, op, request: { method: r.method, path: `${r.path}${r.query}`.slice(0, MAX_PATH), headers, body: bytes, shortBy: bytes && bytes.length > 1 ? r.shortBy : undefined } };
      });
  });
}
