import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import type { OpenApiDocument } from '../lib/api/openapi';
import { startApp, type RunningApp } from './support/app';
import type { Session } from './support/auth';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import type { FlowNode } from './support/flows';

/**
 * Malformed request bodies against the real app (`npm start`'s script, settings and default flow,
 * real Postgres and MQTT): every POST/PATCH/PUT route of the OpenAPI document (the alerts API's
 * among them) and the login, each given broken JSON, the wrong Content-Type, a huge body, bad encodings, invalid
 * UTF-8, a BOM and nothing, anonymous and as the operator. Every answer is a 4xx JSON sentence:
 * never Express's HTML error page with a stack trace and the server's file paths. Then the order
 * of the checks while parts are not deployed: who is asking comes before what is missing.
 */

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request with exactly these bytes and headers (fetch would fix up the body and refuse a GET with one). */
function send(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${baseUrl}${path}`, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      // A live stream never ends: its headers are the answer.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413, 401) and close before the whole body is sent: the answer counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const UNEXPECTED = '{"unexpected": true}';

/** The malformed bodies: each is wrong for every route, so no answer may be a success. */
const BODIES: Array<{ name: string; headers: Record<string, string>; body?: Buffer }> = [
  { name: 'broken JSON', headers: JSON_TYPE, body: Buffer.from('{"username": "x", "password": ') },
  { name: 'JSON as text/plain', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from(UNEXPECTED) },
  { name: 'a form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from('unexpected=1&a[b][c]=2') },
  { name: 'multipart', headers: { 'Content-Type': 'multipart/form-data; boundary=xx' }, body: Buffer.from('--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xx--\r\n') },
  { name: 'no Content-Type', headers: {}, body: Buffer.from('{"unexpected": ') },
  { name: 'a 100 KB JSON body', headers: JSON_TYPE, body: Buffer.from(JSON.stringify({ unexpected: 'a'.repeat(100 * 1024) })) },
  { name: 'a 6 MB JSON body', headers: JSON_TYPE, body: Buffer.from(JSON.stringify({ unexpected: 'a'.repeat(6 * 1024 * 1024) })) },
  { name: 'a 6 MB text body', headers: { 'Content-Type': 'text/plain' }, body: Buffer.alloc(6 * 1024 * 1024, 'a') },
  { name: 'gzip garbage', headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, body: randomBytes(512) },
  { name: 'deflate garbage', headers: { ...JSON_TYPE, 'Content-Encoding': 'deflate' }, body: randomBytes(512) },
  { name: 'gzipped broken JSON', headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, body: gzipSync('{"unexpected": ') },
  { name: 'deflated unexpected JSON', headers: { ...JSON_TYPE, 'Content-Encoding': 'deflate' }, body: deflateSync(UNEXPECTED) },
  { name: 'an unknown Content-Encoding', headers: { ...JSON_TYPE, 'Content-Encoding': 'x-squeeze' }, body: Buffer.from(UNEXPECTED) },
  { name: 'invalid UTF-8', headers: JSON_TYPE, body: Buffer.concat([Buffer.from('{"unexpected": "'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]) },
  { name: 'a refused charset', headers: { 'Content-Type': 'application/json; charset=koi8-r' }, body: Buffer.from(UNEXPECTED) },
  { name: 'a BOM', headers: JSON_TYPE, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(UNEXPECTED)]) },
  { name: 'an empty JSON body', headers: JSON_TYPE, body: Buffer.alloc(0) },
  { name: 'no body at all', headers: {} },
];

/** What must never be in an answer: a stack line or the server's file paths. */
function leaks(text: string): string | undefined {
  if (/^\s*at /m.test(text) || /\bat \S+ \(/.test(text)) return 'a stack trace';
  for (const p of ['/node_modules/', '/dist/', __dirname]) if (text.includes(p)) return `a file path (${p})`;
  if (/<!DOCTYPE html>[\s\S]*<pre>/i.test(text)) return "Express's HTML error page";
  return undefined;
}

/** Why an answer is wrong, or undefined. `mayPass`: the route reads no body, so a 2xx without one is right. */
function problem(a: Answer, mayPass = false): string | undefined {
  if (a.status >= 500) return `${a.status} ${a.text.slice(0, 200)}`;
  const leak = leaks(a.text);
  if (leak) return `${a.status} with ${leak}`;
  if (mayPass && a.status >= 200 && a.status < 300 && a.text === '') return undefined;
  if (!/^application\/json\b/.test(String(a.headers['content-type']))) return `${a.status} ${String(a.headers['content-type'])}: ${a.text.slice(0, 200)}`;
  try {
    const body = JSON.parse(a.text) as { error?: unknown };
    if (typeof body.error !== 'string' || body.error === '') return `${a.status} without an error sentence: ${a.text.slice(0, 200)}`;
  } catch {
    return `${a.status} not JSON: ${a.text.slice(0, 200)}`;
  }
  if (a.status < 400) return `${a.status}: not an error`;
  return undefined;
}

describe('malformed request bodies: every write route answers a JSON sentence, never a stack trace (real app, Postgres, MQTT)', function () {
  this.timeout(240000);
  let db: TestDatabase;
  let app: RunningApp;
  let operator: Session;

  before(async () => {
    db = await createTestDatabase('octopus_http_errors');
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url });
    operator = await app.login();
  });
  after(async () => {
    await app?.stop();
    await db?.drop();
  });

  const asOperator = (s: Session, method: string): Record<string, string> => ({ Cookie: s.cookie, ...(method === 'GET' ? {} : { 'X-CSRF-Token': s.csrfToken }) });

  /** Every POST/PATCH/PUT of the OpenAPI document (with made-up ids), and the login (the alerts API's writes among them). */
  async function writeRoutes(): Promise<Array<{ method: string; path: string }>> {
    const res = await fetch(`${app.baseUrl}/api/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as OpenApiDocument;
    const routes: Array<{ method: string; path: string }> = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of ['post', 'patch', 'put'] as const) {
        if (!(ops as Record<string, unknown>)[method]) continue;
        const concrete = path.replace('{id}', 'no-such-device').replace('{userId}', '999999').replace('{site}', 'no-such-site');
        routes.push({ method: method.toUpperCase(), path: `/api/v1${concrete}` });
      }
    }
    if (!routes.some((r) => r.path === '/api/v1/auth/login')) routes.push({ method: 'POST', path: '/api/v1/auth/login' });
    return routes;
  }

  it('answers every malformed body to every write route with a 4xx JSON sentence, anonymous and as the operator', async () => {
    const routes = await writeRoutes();
    assert.ok(routes.length >= 10, `only ${routes.length} write routes found`);
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      const logout = route.path === '/api/v1/auth/logout';
      for (const b of BODIES) {
        // Logging out reads no body: it may succeed, so it gets a session of its own each time.
        const who = logout ? await app.login() : operator;
        for (const [caller, headers] of [
          ['anonymous', {}],
          ['operator', asOperator(who, route.method)],
        ] as const) {
          tried++;
          const a = await send(app.baseUrl, route.method, route.path, { ...b.headers, ...headers }, b.body);
          const why = problem(a, logout && caller === 'operator');
          if (why) failures.push(`${route.method} ${route.path}, ${b.name}, ${caller}: ${why}`);
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${tried} answers are wrong:\n${failures.join('\n')}`);
  });

  it('answers a malformed body sent to the dashboard (/ui) with a JSON sentence or the page itself', async () => {
    const failures: string[] = [];
    const paths = ['/ui', '/ui/', '/ui/login', '/ui/api/state', '/ui/events', '/ui/static/app.js', '/ui/no-such-page', '/api/v1/no-such-route'];
    for (const path of paths) {
      for (const method of ['GET', 'POST']) {
        for (const b of BODIES.filter((x) => ['broken JSON', 'gzip garbage', 'a 6 MB JSON body', 'an unknown Content-Encoding', 'a refused charset'].includes(x.name))) {
          for (const [caller, headers] of [
            ['anonymous', {}],
            ['operator', asOperator(operator, method)],
          ] as const) {
            const a = await send(app.baseUrl, method, path, { ...b.headers, ...headers }, b.body);
            const type = String(a.headers['content-type']);
            // A page (the dashboard, the sign-in form, a script) or a redirect to one is a right answer.
            const page = method === 'GET' && a.status < 400 && !/json/.test(type);
            const why = page ? (a.status >= 500 ? `${a.status}` : leaks(a.text)) : problem(a);
            if (why) failures.push(`${method} ${path}, ${b.name}, ${caller}: ${why}`);
          }
        }
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  describe('while parts are not deployed (as while the flows start)', () => {
    /** Words that would tell an anonymous caller what runs here. */
    const REVEALING = /octopus|postgres|database|registry|deployed|node|alert/i;
    let fullFlow: FlowNode[];

    const deploy = async (nodes: FlowNode[]) => {
      const res = await app.adminFetch('/flows', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(nodes) });
      assert.equal(res.status, 204, await res.text());
    };
    const probes = [
      { method: 'POST', path: '/api/v1/commands', body: '{"deviceId": "a/b/c", "attribute": "on", "value": true}' },
      { method: 'PATCH', path: '/api/v1/devices/a%2Fb%2Fc', body: '{"name": "x"}' },
      { method: 'GET', path: '/api/v1/devices' },
      { method: 'POST', path: '/api/v1/alerts/no-such-alert/ack', body: '{}' },
      { method: 'GET', path: '/api/v1/alerts' },
    ];
    const ask = (p: (typeof probes)[number], headers: Record<string, string> = {}) =>
      send(app.baseUrl, p.method, p.path, { ...(p.body ? JSON_TYPE : {}), ...headers }, p.body === undefined ? undefined : Buffer.from(p.body));

    before(async () => {
      fullFlow = (await (await app.adminFetch('/flows')).json()) as FlowNode[];
    });

    it('without the registry and the alerts: anonymous gets 401 and learns nothing, the operator learns what is missing', async () => {
      await deploy(fullFlow.filter((n) => ['tab', 'octopus-broker', 'octopus-postgres'].includes(n.type)));
      await waitFor(async () => /registry/.test((await ask(probes[0], asOperator(operator, 'POST'))).text), 20000, 'the registry to be gone, the user store back');
      for (const p of probes) {
        const anonymous = await ask(p);
        assert.equal(anonymous.status, 401, `${p.method} ${p.path} anonymous: ${anonymous.status} ${anonymous.text}`);
        assert.doesNotMatch(anonymous.text, REVEALING, `${p.method} ${p.path} anonymous`);
        const signedIn = await ask(p, asOperator(operator, p.method));
        assert.equal(signedIn.status, 503, `${p.method} ${p.path} operator: ${signedIn.status} ${signedIn.text}`);
        assert.match((JSON.parse(signedIn.text) as { error: string }).error, /not deployed|registry|alert/, `${p.method} ${p.path} operator`);
      }
    });

    it('without the user store: anonymous callers, the login included, get 401 or a 503 that names nothing', async () => {
      await deploy(fullFlow.filter((n) => ['tab', 'octopus-broker'].includes(n.type)));
      const login = { method: 'POST', path: '/api/v1/auth/login', body: JSON.stringify({ username: 'someone', password: randomBytes(12).toString('hex') }) };
      await waitFor(async () => (await ask(login)).status === 503, 20000, 'the user store to be gone');
      for (const p of [...probes, login, { method: 'GET', path: '/api/v1/auth/me' }]) {
        const a = await ask(p);
        assert.ok([401, 503].includes(a.status), `${p.method} ${p.path}: ${a.status} ${a.text}`);
        assert.match(String(a.headers['content-type']), /^application\/json/, `${p.method} ${p.path}`);
        assert.equal(typeof (JSON.parse(a.text) as { error?: unknown }).error, 'string', `${p.method} ${p.path}: ${a.text}`);
        assert.doesNotMatch(a.text, REVEALING, `${p.method} ${p.path}: ${a.text}`);
      }
    });
  });
});
