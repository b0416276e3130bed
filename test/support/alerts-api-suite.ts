import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { AlertService } from '../../lib/alerts/alert-service';
import type { AuthService } from '../../lib/auth/auth-service';
import type { Reading } from '../../lib/model/reading';

/** What test/api.db.mqtt.test.ts's contract-checking client offers (every answer validated against the document). */
interface Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: 'GET' | 'POST', path: string, options?: { json?: unknown }): Promise<{ status: number; headers: Headers; body: any }>;
  as(credentials: Record<string, string>): Client;
}

export interface AlertsSuiteContext {
  api: Client;
  /** The same API on an app whose alert routes have no alert service (none deployed). */
  notDeployed: Client;
  pool: Pool;
  auth: AuthService;
  suffix: string;
  /** The username `api` acts as. */
  operator: string;
  /** Makes `service` the one the suite's main app answers alerts with. */
  deploy(service: AlertService | undefined): void;
}

const enc = encodeURIComponent;

/**
 * The alert routes (lib/alerts/alerts-api.ts) through the API suite's contract client, so every
 * answer is checked against the OpenAPI document and counts towards its coverage: a real
 * AlertService with one rule, over the suite's Postgres, raising an alert from a real reading.
 */
export function alertsApiSuite(get: () => AlertsSuiteContext): void {
  let service: AlertService;
  let site = '';
  let alertId = '';

  before(async () => {
    const { pool, suffix, deploy } = get();
    site = `alertas_${suffix}`;
    service = new AlertService({
      database: () => Promise.resolve(pool),
      rules: [{ id: 'hot', name: 'Too hot', site, attribute: 'temp', condition: 'above', threshold: 30, severity: 'warning' }],
      tickIntervalMs: 60_000,
      saveIntervalMs: 60_000,
    });
    await service.start();
    deploy(service);
    const now = Date.now();
    const reading: Reading = { deviceId: `${site}/cocina/termo`, site, room: 'cocina', device: 'termo', attribute: 'temp', value: 35, unit: '°C', ts: now, deviceTs: true };
    service.observeReadings([reading]);
    await service.save();
  });

  after(async () => {
    get().deploy(undefined);
    await service?.stop();
  });

  it('answers 503 while no alert node is deployed, and lists the open alerts of a site', async () => {
    const { api, notDeployed } = get();
    const idle = await notDeployed.call('GET', '/alerts');
    assert.deepEqual([idle.status, idle.body], [503, { error: 'no octopus-alert node is deployed' }]);
    const open = await api.call('GET', `/alerts?site=${enc(site)}&severity=warning&severity=critical&state=active`);
    assert.equal(open.status, 200);
    assert.equal(open.body.count, 1);
    assert.deepEqual([open.body.alerts[0].ruleId, open.body.alerts[0].value, open.body.alerts[0].state], ['hot', 35, 'active']);
    alertId = open.body.alerts[0].id;
    assert.deepEqual((await api.call('GET', `/alerts?site=${enc(site)}&severity=info`)).body, { alerts: [], count: 0 });
    const bad = await api.call('GET', '/alerts?severity=loud');
    assert.deepEqual([bad.status, bad.body.error], [400, '"loud" is not valid for query parameter "severity": A comma-separated list of info, warning, critical.']);
    const cleared = await api.call('GET', '/alerts?state=cleared');
    assert.equal(cleared.status, 400, 'open alerts are never cleared');
  });

  it('shows one alert with its events, and answers 404 for an unknown one', async () => {
    const { api } = get();
    const one = await api.call('GET', `/alerts/${enc(alertId)}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.alert.id, alertId);
    assert.deepEqual(one.body.events.map((e: { type: string }) => e.type), ['raised']);
    const unknown = await api.call('GET', '/alerts/nope');
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'no alert nope' }]);
  });

  it('acknowledges and clears in the caller\'s name; a viewer may not, a caller of another site does not see it', async () => {
    const { api, auth, suffix } = get();
    const mk = async (name: string, at: string) => {
      const user = await auth.createUser({ username: `${name}_${suffix}`, password: randomBytes(18).toString('base64url'), operator: false, sites: new Map([[at, 'viewer']]) });
      assert.ok(user);
      return api.as({ Authorization: `Bearer ${(await auth.createToken(user, { name: 'alerts test', role: 'viewer', sites: [at], expiresAt: null })).token}` });
    };
    const viewer = await mk('alert_viewer', site);
    const stranger = await mk('alert_stranger', `elsewhere_${suffix}`);
    assert.equal((await viewer.call('GET', `/alerts/${enc(alertId)}`)).status, 200);
    assert.deepEqual((await viewer.call('POST', `/alerts/${enc(alertId)}/ack`, { json: {} })).status, 403);
    assert.deepEqual((await stranger.call('GET', `/alerts/${enc(alertId)}`)).status, 404);
    assert.deepEqual((await stranger.call('POST', `/alerts/${enc(alertId)}/clear`, { json: {} })).status, 404);
    assert.deepEqual((await stranger.call('GET', `/alerts?site=${enc(site)}`)).body, { alerts: [], count: 0 });

    const wrong = await api.call('POST', `/alerts/${enc(alertId)}/ack`, { json: { who: 'x' } });
    assert.deepEqual([wrong.status, wrong.body], [400, { error: 'unknown field "who" (allowed: by, note)' }]);
    const ack = await api.call('POST', `/alerts/${enc(alertId)}/ack`, { json: { by: 'someone else', note: 'window open' } });
    assert.equal(ack.status, 200);
    // The signed-in user is recorded, not the body's `by`.
    assert.deepEqual([ack.body.alert.state, ack.body.alert.acknowledgedBy, ack.body.alert.acknowledgeNote], ['acknowledged', get().operator, 'window open']);
    assert.equal((await api.call('POST', `/alerts/${enc(alertId)}/ack`)).status, 409, 'an empty body is an empty object');
    const clear = await api.call('POST', `/alerts/${enc(alertId)}/clear`, { json: { note: 'fixed' } });
    assert.deepEqual([clear.status, clear.body.alert.state, clear.body.alert.clearedBy], [200, 'cleared', get().operator]);
    assert.equal((await api.call('POST', `/alerts/${enc(alertId)}/clear`, { json: {} })).status, 409);
  });

  it('pages the history, newest first, with the same bounds as before', async () => {
    const { api } = get();
    await service.save();
    const page = await api.call('GET', `/alerts/history?site=${enc(site)}&state=cleared&from=${Date.now() - 3_600_000}&limit=10`);
    assert.equal(page.status, 200);
    assert.deepEqual([page.body.total, page.body.limit, page.body.offset, page.body.alerts[0].id], [1, 10, 0, alertId]);
    const defaults = await api.call('GET', `/alerts/history?site=${enc(site)}`);
    assert.deepEqual([defaults.body.limit, defaults.body.offset], [100, 0]);
    const tooMany = await api.call('GET', '/alerts/history?limit=5000');
    assert.deepEqual([tooMany.status, tooMany.body], [400, { error: 'query parameter "limit" must be at most 1000, not 5000' }]);
    const when = await api.call('GET', '/alerts/history?to=yesterday');
    assert.deepEqual([when.status, when.body.error], [400, 'query parameter "to" must be an ISO 8601 time (2026-11-23T10:00:00Z) or epoch milliseconds']);
    const unknown = await api.call('GET', '/alerts/history?page=2');
    assert.equal(unknown.status, 400);
  });
}
