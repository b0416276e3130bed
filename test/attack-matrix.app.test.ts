import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import type { HttpMethod, OpenApiDocument, Operation } from '../lib/api/openapi';
import { startApp, type RunningApp } from './support/app';
import { adminApiToken, bearer, login, session, type Session } from './support/auth';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';
import { startDynsecMosquitto, type DynsecTestBroker } from './support/mosquitto';

/**
 * The attack matrix: the real app (settings, default flow), real Postgres, the project's Mosquitto
 * on a free port; two houses. Every route of the OpenAPI document (the alerts API among them;
 * plus the metrics and the editor's admin API) is tried by each attacker against house A, then by house
 * A's owner, who must get the data. A denial is 401/403/404; a 2xx answer to an attacker passes
 * only for a read that shows none of house A (a list filtered to the attacker's own house).
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Caller {
  name: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}
interface Probe {
  method: string;
  path: string;
  /** The route's template, for the table. */
  label: string;
  body?: () => unknown;
  /** A route about the caller themself (logout): another house's user using it harms nobody. */
  self?: boolean;
}
type Expect = 'unauthenticated' | 'csrf' | 'denied-or-blind';

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes only operators may use (lib/auth/permissions.ts canCreateHouse): owner A is an attacker there too. */
const OPERATOR_ONLY = new Set(['POST /houses']);
const enc = encodeURIComponent;

describe('attack matrix: every route and the live stream, per attacker (real app, Postgres, Mosquitto)', function () {
  this.timeout(180000);
  const suffix = randomBytes(3).toString('hex');
  const A = `house-a-${suffix}`;
  const B = `house-b-${suffix}`;
  const password = randomBytes(18).toString('base64url');
  const metricsToken = randomBytes(24).toString('base64url');
  const names = { ownerA: `owner-a-${suffix}`, residentA: `resident-a-${suffix}`, viewerA: `viewer-a-${suffix}`, ownerB: `owner-b-${suffix}`, residentB: `resident-b-${suffix}` };
  const victim = `victim-a-${suffix}`;
  const victimRole = `member-a-${suffix}`;
  let db: TestDatabase;
  let broker: DynsecTestBroker;
  let app: RunningApp;
  let mqtt: MqttClient;
  let operator: Session;
  const s: Record<keyof typeof names, Session> = {} as never;
  const ids = { termoA: `${A}/salon/termo`, luzA: `${A}/salon/luz`, termoB: `${B}/salon/termo`, commandA: '', alertA: '', victim: 0, victimRole: 0, tokenA: 0, channelA: 0, credentialA: 0, sceneA: '', scheduleA: '', automationA: '' };
  const attackers: Array<{ caller: Caller; expect: Expect; writesOnly?: boolean }> = [];
  let legit: Caller;
  const rows: Array<{ route: string; cells: string[]; ok: boolean }> = [];
  /** Checks outside the matrix's columns: each with its own list of attempts. */
  const extras: string[] = [];
  const columns = ['anonymous', 'expired session', 'revoked token', 'forged CSRF', 'viewer A', 'resident B', 'owner B', '| owner A'];

  const automationBodies = {
    SceneInput: () => ({ name: 'Evening', targets: [{ deviceId: ids.luzA, attribute: 'on', value: true }] }),
    ScheduleInput: () => ({ name: 'lamp at dusk', action: { type: 'command', deviceId: ids.luzA, attribute: 'on' }, slots: [{ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '19:00', value: true }] }),
    AutomationInput: () => ({ name: 'hot → lamp', trigger: { type: 'reading', deviceId: ids.termoA, attribute: 'temperature', above: 40 }, actions: [{ type: 'command', deviceId: ids.luzA, attribute: 'on', value: true }] }),
    SiteLocationInput: () => ({ name: 'Casa A', latitude: 40.4, longitude: -3.7 }),
  };

  const json = async (res: Response): Promise<Json> => {
    const text = await res.text();
    return text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  };

  before(async () => {
    db = await createTestDatabase('octopus_attack');
    // The project's broker config with its dynamic security plugin: device credentials are made live.
    broker = await startDynsecMosquitto();
    const dataDir = dataDirWithDefaultFlow((nodes) => {
      nodeOfType(nodes, 'octopus-alert').rules = JSON.stringify([{ id: 'hot', attribute: 'temperature', condition: 'above', threshold: 30, severity: 'warning' }]);
    });
    app = await startApp(
      { MQTT_URL: broker.url, DATABASE_URL: db.url, OCTOPUS_METRICS_TOKEN: metricsToken, OCTOPUS_MQTT_ADMIN_USER: broker.admin.username, OCTOPUS_MQTT_ADMIN_PASSWORD: broker.admin.password },
      { dataDir },
    );
    mqtt = await connectAsync(broker.url, { clientId: `attack-${randomUUID()}` });
    await waitFor(() => /connected to mqtt/.test(app.output()) && /from OCTOPUS_ADMIN_USER/.test(app.output()), 15000, 'the source to connect and the operator to be set up');
    operator = await app.login();

    for (const site of [A, B]) {
      await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 35, unit: '°C' }), { qos: 1 });
      await mqtt.publishAsync(`${site}/salon/luz/on`, 'false', { qos: 1 });
    }
    await waitFor(async () => (await operator.json('GET', `/api/v1/devices?site=${A}`)).body.total === 2 && (await operator.json('GET', `/api/v1/devices?site=${B}`)).body.total === 2, 15000, 'both houses in the registry');
    for (const site of [A, B]) {
      assert.equal((await operator.json('PATCH', `/api/v1/devices/${enc(`${site}/salon/luz`)}`, { controls: { on: { kind: 'switch' } } })).status, 200);
    }
    const sent = await operator.json('POST', '/api/v1/commands', { deviceId: ids.luzA, attribute: 'on', value: true });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    ids.commandA = sent.body.id;
    await waitFor(async () => (await operator.json('GET', `/api/v1/alerts?site=${A}`)).body.count === 1, 15000, 'the alert in house A');
    ids.alertA = (await operator.json('GET', `/api/v1/alerts?site=${A}`)).body.alerts[0].id;
    // House A's home automation (issue #21): one scene, schedule and automation.
    for (const [key, path, body] of [
      ['sceneA', 'scenes', automationBodies.SceneInput()],
      ['scheduleA', 'schedules', automationBodies.ScheduleInput()],
      ['automationA', 'automations', automationBodies.AutomationInput()],
    ] as const) {
      const made = await operator.json('POST', `/api/v1/sites/${A}/${path}`, body);
      assert.equal(made.status, 201, JSON.stringify(made.body));
      ids[key] = made.body.id;
    }

    const make = async (username: string, sites: Record<string, string>) => {
      const made = await operator.json('POST', '/api/v1/users', { username, password, sites });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.id as number;
    };
    await make(names.ownerA, { [A]: 'owner' });
    await make(names.residentA, { [A]: 'resident' });
    await make(names.viewerA, { [A]: 'viewer' });
    await make(names.ownerB, { [B]: 'owner' });
    await make(names.residentB, { [B]: 'resident' });
    ids.victim = await make(victim, { [A]: 'viewer' });
    ids.victimRole = await make(victimRole, { [A]: 'viewer' });
    for (const k of Object.keys(names) as Array<keyof typeof names>) s[k] = await login(app.baseUrl, names[k], password);
    const tokenA = await s.ownerA.json('POST', '/api/v1/tokens', { name: 'to be revoked by its owner', role: 'viewer', sites: [A] });
    ids.tokenA = tokenA.body.details.id;
    const channelA = await s.ownerA.json('POST', '/api/v1/notify/channels', { kind: 'email', name: 'owner A mail', config: { to: `${names.ownerA}@octopus.test` } });
    ids.channelA = channelA.body.id;
    const plugA = await s.ownerA.json('POST', `/api/v1/sites/${A}/device-credentials`, { name: 'plug', room: 'salon', firmware: 'tasmota' });
    assert.equal(plugA.status, 201, JSON.stringify(plugA.body));
    ids.credentialA = plugA.body.credential.id;

    // The attackers' credentials.
    const expired = await login(app.baseUrl, names.ownerA, password);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const token = decodeURIComponent(expired.cookie.split('=')[1]);
    const hit = await pg.query("update auth_sessions set expires_at = now() - interval '1 second' where token_hash = $1", [createHash('sha256').update(token).digest()]);
    await pg.end();
    assert.equal(hit.rowCount, 1, 'the expired session exists');
    const revoked = await s.ownerA.json('POST', '/api/v1/tokens', { name: 'leaked', role: 'owner', sites: [A] });
    assert.equal((await s.ownerA.json('DELETE', `/api/v1/tokens/${revoked.body.details.id}`)).status, 204);
    const forged = session(app.baseUrl, s.ownerA.cookie, 'forged-by-another-page');

    attackers.push(
      { caller: { name: 'anonymous', fetch: (p, i) => fetch(`${app.baseUrl}${p}`, i) }, expect: 'unauthenticated' },
      { caller: { name: 'expired session', fetch: expired.fetch }, expect: 'unauthenticated' },
      { caller: { name: 'revoked token', fetch: bearer(app.baseUrl, revoked.body.token).fetch }, expect: 'unauthenticated' },
      {
        caller: {
          name: 'forged CSRF',
          fetch: (p, i = {}) => forged.fetch(p, { ...i, headers: { ...(i.headers as Record<string, string>), Origin: 'http://evil.example' } }),
        },
        expect: 'csrf',
        writesOnly: true,
      },
      { caller: { name: 'viewer A', fetch: s.viewerA.fetch }, expect: 'denied-or-blind', writesOnly: true },
      { caller: { name: 'resident B', fetch: s.residentB.fetch }, expect: 'denied-or-blind' },
      { caller: { name: 'owner B', fetch: s.ownerB.fetch }, expect: 'denied-or-blind' },
    );
    legit = { name: 'owner A', fetch: s.ownerA.fetch };
  });

  after(async () => {
    if (rows.length > 0) {
      const width = Math.max(...rows.map((r) => r.route.length));
      const line = (route: string, cells: string[]) => `${route.padEnd(width)}  ${cells.map((c, i) => c.padEnd(columns[i].length)).join('  ')}`;
      console.log(`\n  attack matrix (house A = ${A}); ✓ as required, ✗ not; ∅ = answered, showing nothing of house A; - = not tried\n`);
      console.log(line('route', columns));
      for (const r of rows) console.log(line(`${r.ok ? ' ' : '!'}${r.route}`, r.cells));
      for (const e of extras) console.log(` ${e}`);
      console.log('');
    }
    await mqtt?.endAsync();
    await app?.stop();
    await broker?.stop();
    await db?.drop();
  });

  /** Mentions house A or its people: what an attacker must never be shown. */
  const showsHouseA = (body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return [A, names.ownerA, names.residentA, names.viewerA, victim, victimRole].some((x) => text.includes(x));
  };

  async function attempt(probe: Probe, caller: Caller): Promise<{ status: number; body: Json }> {
    const init: RequestInit = { method: probe.method };
    const b = probe.body?.();
    if (b !== undefined) {
      init.body = JSON.stringify(b);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await caller.fetch(probe.path, init);
    return { status: res.status, body: await json(res) };
  }

  /** Runs one route through every attacker, then the legitimate user; records a table row. */
  async function check(probe: Probe, legitimate: (status: number, body: Json) => boolean): Promise<string[]> {
    const problems: string[] = [];
    const cells: string[] = [];
    const write = WRITE.has(probe.method);
    for (const { caller, expect, writesOnly } of attackers) {
      if ((writesOnly && !write) || (probe.self && expect === 'denied-or-blind')) {
        cells.push('-');
        continue;
      }
      const { status, body } = await attempt(probe, caller);
      let ok: boolean;
      let cell = String(status);
      if (expect === 'unauthenticated') ok = status === 401;
      else if (expect === 'csrf') ok = status === 403;
      else if ([401, 403, 404].includes(status)) ok = true;
      else {
        ok = !write && status >= 200 && status < 300 && !showsHouseA(body);
        cell = `${status}∅`;
      }
      cells.push(`${cell}${ok ? '✓' : '✗'}`);
      if (!ok) problems.push(`${probe.method} ${probe.path} as ${caller.name}: ${status} ${JSON.stringify(body).slice(0, 200)}`);
    }
    // Creating a house is the company's (operators'): their answer is the legitimate one there.
    const who = OPERATOR_ONLY.has(`${probe.method} ${probe.label}`) ? { name: 'operator', fetch: operator.fetch } : legit;
    const { status, body } = await attempt(probe, who);
    const ok = legitimate(status, body);
    cells.push(`| ${status}${ok ? '✓' : '✗'}`);
    if (!ok) problems.push(`${probe.method} ${probe.path} as the legitimate owner A: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    rows.push({ route: `${probe.method} ${probe.label}`, cells, ok: problems.length === 0 });
    return problems;
  }

  /** Concrete requests for every operation of the served OpenAPI document, aimed at house A. */
  async function documentedProbes(): Promise<{ probes: Probe[]; open: string[] }> {
    const doc = (await (await fetch(`${app.baseUrl}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    const probes: Probe[] = [];
    const open: string[] = [];
    let n = 0;
    const bodies: Record<string, () => unknown> = {
      DeviceMetaPatch: () => ({ name: 'renamed by the owner' }),
      CommandRequest: () => ({ deviceId: ids.luzA, attribute: 'on', value: true }),
      UserCreate: () => ({ username: `new-${suffix}-${++n}`, password, sites: { [A]: 'viewer' } }),
      UserPatch: () => ({ disabled: false }),
      SiteRoleRequest: () => ({ role: 'resident' }),
      // A resident token: beyond a viewer of house A, and beyond anyone of house B.
      TokenCreate: () => ({ name: 'script', role: 'resident', sites: [A] }),
      EnergySettingsUpdate: () => ({ timeZone: 'Europe/Madrid', tariffs: { energy: { currency: 'EUR', price: 0.2 } } }),
      AttributeClassRequest: () => ({ class: 'measurement' }),
      AlertAction: () => ({ note: 'seen' }),
      NotifyChannelCreate: () => ({ kind: 'webhook', name: 'mine', config: { url: 'http://127.0.0.1:9/hook' }, secret: randomBytes(12).toString('hex') }),
      NotifyPreferencesUpdate: () => ({ minSeverity: 'warning', channelIds: [] }),
      NotifyEscalationUpdate: () => ({ steps: [{ delayMin: 5, role: 'owner' }] }),
      NotifyRead: () => ({ ids: 'all' }),
      HouseCreate: () => ({ site: `house-n-${suffix}-${++n}`, name: 'New house', timeZone: 'Europe/Madrid' }),
      InvitationCreate: () => ({ role: 'viewer' }),
      DeviceCredentialsCreate: () => ({ name: 'Plug', room: 'salon', firmware: 'tasmota' }),
      HubCreate: () => ({ name: 'Hub' }),
      ...automationBodies,
    };
    // Each caller's own channels, preferences and notification centre: another house's user using them harms nobody.
    const own = new Set(['/auth/logout', '/notify/channels', '/notify/preferences/{site}', '/notify/inbox/read']);
    const requiredQuery: Record<string, string> = { attribute: 'temperature' };
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops) as Array<[HttpMethod, Operation]>) {
        if (Array.isArray(op.security) && op.security.length === 0) {
          open.push(`${method.toUpperCase()} ${template}`);
          continue;
        }
        const values: Record<string, string> = {
          id: template.startsWith('/commands') ? ids.commandA : template.startsWith('/alerts') ? ids.alertA : ids.termoA,
          site: A,
          userId: String(template.includes('/sites/') ? ids.victimRole : ids.victim),
          tokenId: String(ids.tokenA),
          channelId: String(ids.channelA),
          credentialId: String(ids.credentialA),
          attribute: 'temperature',
          sceneId: ids.sceneA,
          scheduleId: ids.scheduleA,
          automationId: ids.automationA,
        };
        const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
          assert.ok(values[name] !== undefined, `no value for path parameter {${name}} of ${template}: teach the attack matrix`);
          return enc(values[name]);
        });
        const query = (op.parameters ?? [])
          .filter((p) => p.in === 'query' && p.required)
          .map((p) => {
            assert.ok(requiredQuery[p.name], `no value for the required query parameter ${p.name} of ${template}: teach the attack matrix`);
            return `${p.name}=${enc(requiredQuery[p.name])}`;
          });
        const schema = op.requestBody?.content['application/json'].schema.$ref?.toString().split('/').pop();
        assert.ok(!op.requestBody || (schema && bodies[schema]), `no body for ${method} ${template} (${schema}): teach the attack matrix`);
        probes.push({
          method: method.toUpperCase(),
          path: `/api/v1${path}${query.length ? `?${query.join('&')}` : ''}`,
          label: template,
          body: schema ? bodies[schema] : undefined,
          self: own.has(template) && method !== 'get',
        });
      }
    }
    return { probes, open };
  }

  /** An open live stream: its status, and all the text it has carried so far. */
  async function openStream(caller: Caller, path = '/ui/events'): Promise<{ status: number; text(): string; close(): Promise<void> }> {
    const controller = new AbortController();
    const res = await caller.fetch(path, { signal: controller.signal });
    let text = '';
    const reading = (async () => {
      if (!res.body) return;
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      } catch {
        // aborted at close
      }
    })();
    return {
      status: res.status,
      text: () => text,
      close: async () => {
        controller.abort();
        await reading;
      },
    };
  }

  it('the dashboard and its live stream: only the owner\'s house gets house A\'s data, pushed or polled', async () => {
    const streams = new Map<string, Awaited<ReturnType<typeof openStream>>>();
    try {
      for (const { caller } of attackers.filter((a) => !a.writesOnly)) streams.set(caller.name, await openStream(caller));
      streams.set(legit.name, await openStream(legit));
      const viewerA = await openStream({ name: 'viewer A', fetch: s.viewerA.fetch });
      streams.set('viewer A', viewerA);
      // House A reports first, house B after: once B's value reached a house-B stream, A's would have too if it leaked.
      await mqtt.publishAsync(`${A}/salon/termo/temperature`, JSON.stringify({ value: 36.5, unit: '°C' }), { qos: 1 });
      await mqtt.publishAsync(`${B}/salon/termo/temperature`, JSON.stringify({ value: 37.5, unit: '°C' }), { qos: 1 });
      for (const name of ['resident B', 'owner B']) await waitFor(() => /"value":37\.5/.test(streams.get(name)!.text()), 15000, `house B's reading on ${name}'s stream`);
      for (const name of ['owner A', 'viewer A']) await waitFor(() => /"value":36\.5/.test(streams.get(name)!.text()), 15000, `house A's reading on ${name}'s stream`);

      const cells: string[] = [];
      const problems: string[] = [];
      for (const { caller, expect, writesOnly } of attackers) {
        if (writesOnly) {
          cells.push('-');
          continue;
        }
        const st = streams.get(caller.name)!;
        const ok = expect === 'unauthenticated' ? st.status === 401 && !showsHouseA(st.text()) : st.status === 200 && !showsHouseA(st.text());
        cells.push(`${st.status}${expect === 'unauthenticated' ? '' : '∅'}${ok ? '✓' : '✗'}`);
        if (!ok) problems.push(`live stream as ${caller.name}: ${st.status} ${st.text().slice(0, 300)}`);
      }
      const mine = streams.get('owner A')!;
      const legitOk = mine.status === 200 && mine.text().includes(ids.termoA) && mine.text().includes(ids.alertA);
      cells.push(`| ${mine.status}${legitOk ? '✓' : '✗'}`);
      if (!legitOk) problems.push(`live stream as owner A: ${mine.status} ${mine.text().slice(0, 300)}`);
      rows.push({ route: 'GET /ui/events (live stream, pushed readings and alerts)', cells, ok: problems.length === 0 });

      // The polled state, the page and its sign-in.
      problems.push(
        ...(await check({ method: 'GET', path: '/ui/api/state', label: '/ui/api/state (dashboard)' }, (status, body) => status === 200 && showsHouseA(body))),
      );
      const page = await fetch(`${app.baseUrl}/ui/`, { redirect: 'manual' });
      assert.deepEqual([page.status, page.headers.get('location')], [302, '/ui/login']);
      const mineToo = await s.ownerA.fetch('/ui/', { redirect: 'manual' });
      assert.equal(mineToo.status, 200);
      assert.match(mineToo.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      extras.push(`GET /ui/: anonymous 302 → /ui/login ✓ | owner A 200 with CSP ✓`);
      assert.deepEqual(problems, []);
    } finally {
      for (const st of streams.values()) await st.close();
    }
  });

  it('REST API: every documented route (the alerts API among them) refuses each attacker and serves house A\'s owner', async () => {
    const { probes, open } = await documentedProbes();
    // The acknowledge links are open: their signed, single-use token is the credential (test/notify.db.test.ts, notify.browser.test.ts).
    // Accepting an invitation is open: its one-time 256-bit token is the credential.
    assert.deepEqual(open.sort(), ['GET /notify/ack/{token}', 'GET /openapi.json', 'POST /auth/login', 'POST /invitations/accept', 'POST /notify/ack/{token}'], 'only the document, the login, acknowledge links and accepting an invitation are open to anyone');
    // Reads first, then writes, deletes last (the longest path first: a role goes before its user), the logout at the very end.
    const rank = (p: Probe) => (p.label === '/auth/logout' ? 10 : p.self ? 9 : p.method === 'GET' ? 0 : p.method === 'DELETE' ? 2 : 1);
    // Stable: house A's alert is acknowledged before it is cleared, in the document's order.
    const ordered = [...probes].sort((x, y) => rank(x) - rank(y) || (x.method === 'DELETE' ? y.label.length - x.label.length : 0));
    const problems: string[] = [];
    for (const probe of ordered) {
      problems.push(
        ...(await check(probe, (status, body) => {
          if (status < 200 || status >= 300) return false;
          // The owner's reads of house A show house A.
          if (probe.method === 'GET' && ['/sites', '/devices', '/users', '/alerts', '/alerts/history', '/sites/{site}/scenes', '/sites/{site}/schedules', '/sites/{site}/automations'].includes(probe.label)) return showsHouseA(body);
          return true;
        })),
      );
    }
    assert.equal(rows.filter((r) => !r.route.includes('/ui/')).length, probes.length);
    assert.deepEqual(problems, []);

    // Exports: a viewer takes away their own house's history, never another's (house A's thermostat was forgotten above: its lamp remains).
    const exports = [
      (await s.viewerA.fetch(`/api/v1/sites/${enc(A)}/export?zone=utc`)).status,
      (await s.viewerA.fetch(`/api/v1/devices/${enc(ids.luzA)}/export?format=ndjson`)).status,
      (await s.viewerA.fetch(`/api/v1/sites/${enc(B)}/export`)).status,
      (await s.viewerA.fetch(`/api/v1/devices/${enc(ids.termoB)}/export`)).status,
    ];
    const ownText = await (await s.viewerA.fetch(`/api/v1/sites/${enc(A)}/export?zone=utc`)).text();
    const otherText = await (await s.viewerA.fetch(`/api/v1/sites/${enc(B)}/export`)).text();
    assert.deepEqual(exports, [200, 200, 404, 404]);
    assert.ok(ownText.includes(ids.luzA) && !ownText.includes(B), 'house A\'s export holds house A only');
    assert.ok(!otherText.includes(B.slice(0, 8) + '/'), 'nothing of house B');
    extras.push(`GET /sites/{site}/export and /devices/{id}/export as viewer A: own house ${exports[0]}✓ ${exports[1]}✓, house B ${exports[2]}✓ ${exports[3]}✓`);
  });

  it('the login itself: wrong passwords are 401, another origin is 403, a non-operator cannot get into the editor', async () => {
    const tryLogin = (username: string, pw: string, headers: Record<string, string> = {}) =>
      fetch(`${app.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ username, password: pw }) });
    const cells = [
      (await tryLogin(names.ownerA, 'not the password')).status,
      (await tryLogin(`nobody-${suffix}`, 'not the password')).status,
      (await tryLogin(names.ownerA, password, { Origin: 'http://evil.example' })).status,
    ];
    assert.deepEqual(cells, [401, 401, 403]);
    extras.push(`POST /auth/login: wrong password ${cells[0]}✓, unknown user ${cells[1]}✓, right password from another origin ${cells[2]}✓`);

    // The editor's admin API: operators only, by Node-RED's own token; a web session is no key to it.
    const adminGets = [
      (await fetch(`${app.baseUrl}/flows`)).status,
      (await s.ownerA.fetch('/flows')).status,
      (await fetch(`${app.baseUrl}/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: names.ownerA, password }) })).status,
      (await app.adminFetch('/flows')).status,
    ];
    assert.deepEqual(adminGets.slice(0, 2), [401, 401]);
    assert.ok([401, 403].includes(adminGets[2]), `owner A got an editor token: ${adminGets[2]}`);
    assert.equal(adminGets[3], 200);
    await assert.rejects(adminApiToken(app.baseUrl, names.ownerA, password));
    extras.push(`editor admin API GET /flows: anonymous ${adminGets[0]}✓, owner A's web cookie ${adminGets[1]}✓, owner A's editor login ${adminGets[2]}✓ | operator ${adminGets[3]}✓`);

    const metrics = [(await fetch(`${app.baseUrl}/metrics`)).status, (await bearer(app.baseUrl, 'wrong').fetch('/metrics')).status, (await bearer(app.baseUrl, metricsToken).fetch('/metrics')).status];
    assert.deepEqual(metrics, [401, 401, 200]);
    extras.push(`GET /metrics: anonymous ${metrics[0]}✓, wrong token ${metrics[1]}✓ | OCTOPUS_METRICS_TOKEN ${metrics[2]}✓`);
  });
});
