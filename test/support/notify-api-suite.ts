import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { AlertService } from '../../lib/alerts/alert-service';
import type { AuthService } from '../../lib/auth/auth-service';
import type { Reading } from '../../lib/model/reading';
import { ackLinkToken } from '../../lib/notify/ack-links';
import { secretBox } from '../../lib/notify/secret-box';

/** What test/api.db.mqtt.test.ts's contract-checking client offers (every answer validated against the document). */
interface Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: { json?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  as(credentials: Record<string, string>): Client;
}

export interface NotifySuiteContext {
  api: Client;
  pool: Pool;
  auth: AuthService;
  suffix: string;
  /** Makes `service` the one the acknowledge links of the suite's main app act on. */
  deploy(service: AlertService | undefined): void;
}

/**
 * The notification routes (lib/api/notify-routes.ts) through the API suite's contract client:
 * every operation once, its answer checked against the OpenAPI document. The caller is an owner
 * of a site of its own (so the suite's other counts are untouched); a real AlertService raises the
 * alert its acknowledge link acts on.
 */
export function notifyApiSuite(get: () => NotifySuiteContext): void {
  let alerts: AlertService;
  let site = '';
  let owner: Client;
  let ownerId = 0;
  let ownerName = '';

  // The routes seal channel secrets and sign links with the process's secret box: give it a secret,
  // so that it does not generate one in the home directory.
  const setSecret = process.env.OCTOPUS_NOTIFY_SECRET === undefined;

  before(async () => {
    if (setSecret) process.env.OCTOPUS_NOTIFY_SECRET = randomBytes(24).toString('base64url');
    const { api, auth, pool, suffix, deploy } = get();
    site = `notify_${suffix}`;
    ownerName = `notify_owner_${suffix}`;
    const user = await auth.createUser({ username: ownerName, password: randomBytes(18).toString('base64url'), operator: false, sites: new Map([[site, 'owner']]) });
    assert.ok(user);
    ownerId = user.id;
    owner = api.as({ Authorization: `Bearer ${(await auth.createToken(user, { name: 'notify test', role: 'owner', sites: [site], expiresAt: null })).token}` });
    alerts = new AlertService({
      database: () => Promise.resolve(pool),
      rules: [{ id: 'cold', name: 'Too cold', site, attribute: 'temp', condition: 'below', threshold: 5, severity: 'critical' }],
      tickIntervalMs: 60_000,
      saveIntervalMs: 60_000,
    });
    await alerts.start();
    deploy(alerts);
  });

  after(async () => {
    get().deploy(undefined);
    await alerts?.stop();
    if (setSecret) delete process.env.OCTOPUS_NOTIFY_SECRET;
  });

  it('keeps the caller\'s channels and preferences per site', async () => {
    const hookKey = randomBytes(16).toString('hex'); // the HMAC key the receiver would check
    const made = await owner.call('POST', '/notify/channels', { json: { kind: 'webhook', name: 'Phone', config: { url: 'https://hooks.example.test/octopus', format: 'ntfy', topic: 'casa' }, secret: hookKey } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.kind, made.body.name, made.body.enabled, made.body.hasSecret, made.body.config.url], ['webhook', 'Phone', true, true, 'https://hooks.example.test/octopus']);
    assert.equal(JSON.stringify(made.body).includes(hookKey), false, 'the secret is never returned');
    const missing = await owner.call('POST', '/notify/channels', { json: { kind: 'email', name: 'Mail', config: {} } });
    assert.deepEqual([missing.status, missing.body], [400, { error: 'a email channel needs an address (config.to)' }]);
    const mine = await owner.call('GET', '/notify/channels');
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.items.map((c: { id: number }) => c.id), [made.body.id]);

    const prefs = await owner.call('PUT', `/notify/preferences/${site}`, { json: { minSeverity: 'critical', channelIds: [made.body.id], quietHours: '22:00-07:00' } });
    assert.equal(prefs.status, 200, JSON.stringify(prefs.body));
    assert.deepEqual(prefs.body, { site, minSeverity: 'critical', channelIds: [made.body.id], inapp: true, quietHours: '22:00-07:00', criticalBreaksThrough: true });
    const notMine = await owner.call('PUT', `/notify/preferences/${site}`, { json: { minSeverity: 'info', channelIds: [made.body.id + 1000] } });
    assert.deepEqual([notMine.status, notMine.body], [400, { error: 'channelIds must name channels of your own' }]);
    const elsewhere = await owner.call('PUT', `/notify/preferences/elsewhere_${get().suffix}`, { json: { minSeverity: 'info', channelIds: [] } });
    assert.equal(elsewhere.status, 404);
    const listed = await owner.call('GET', '/notify/preferences');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.filter((p: { site: string }) => p.site === site).map((p: { minSeverity: string }) => p.minSeverity), ['critical']);

    // Removing the channel takes it out of the preferences too (cascade), and a second time is 404.
    assert.equal((await owner.call('DELETE', `/notify/channels/${made.body.id}`)).status, 204);
    assert.equal((await owner.call('DELETE', `/notify/channels/${made.body.id}`)).status, 404);
    assert.deepEqual((await owner.call('GET', '/notify/channels')).body.items, []);
  });

  it('sets and shows the site\'s escalation chain', async () => {
    const none = await owner.call('GET', `/notify/escalation/${site}`);
    assert.deepEqual([none.status, none.body], [200, { site, steps: [] }]);
    const steps = [{ delayMin: 5, userId: ownerId }, { delayMin: 15, role: 'operator' }];
    const set = await owner.call('PUT', `/notify/escalation/${site}`, { json: { steps } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, { site, steps });
    const both = await owner.call('PUT', `/notify/escalation/${site}`, { json: { steps: [{ delayMin: 5, userId: ownerId, role: 'owner' }] } });
    assert.deepEqual([both.status, both.body], [400, { error: 'step 1 must name either a userId or a role' }]);
    assert.deepEqual((await owner.call('GET', `/notify/escalation/${site}`)).body, { site, steps });
  });

  it('shows the notification centre, marks it read, and lists what failed at the sites the caller manages', async () => {
    const { pool } = get();
    // What the dispatcher leaves behind: one in-app notification sent, one webhook given up on.
    const row = `insert into notify_outbox (source, source_id, alert_id, site, user_id, channel_key, severity, title, body, state, attempts, next_attempt_at, created_at, sent_at, last_error)
                 values ('message', $1, null, $2, $3, $4, 'warning', $5, 'open the window', $6, $7, now(), now(), $8, $9) returning id`;
    const sent = await pool.query(row, [`inbox_${site}`, site, ownerId, 'inapp', 'Humidity high', 'sent', 1, new Date(), null]);
    await pool.query(row, [`failed_${site}`, site, ownerId, 'webhook:0', 'Receiver down', 'failed', 5, null, 'HTTP 502']);
    const id = Number(sent.rows[0].id);

    const box = await owner.call('GET', '/notify/inbox');
    assert.equal(box.status, 200);
    assert.equal(box.body.unread, 1);
    assert.deepEqual(box.body.items.map((i: { id: number; title: string; read: boolean; site: string }) => [i.id, i.title, i.read, i.site]), [[id, 'Humidity high', false, site]]);
    const read = await owner.call('POST', '/notify/inbox/read', { json: { ids: [id] } });
    assert.deepEqual([read.status, read.body], [200, { unread: 0 }]);
    assert.equal((await owner.call('GET', '/notify/inbox')).body.items[0].read, true);

    const failed = await owner.call('GET', '/notify/failed');
    assert.equal(failed.status, 200);
    assert.equal(failed.body.total, 1, 'only the sites the caller manages');
    assert.deepEqual([failed.body.items[0].site, failed.body.items[0].title, failed.body.items[0].error, failed.body.items[0].username], [site, 'Receiver down', 'HTTP 502', ownerName]);
  });

  it('an acknowledge link shows the alert (GET changes nothing) and acknowledges it once (POST)', async () => {
    const { api, pool } = get();
    const reading: Reading = { deviceId: `${site}/bodega/termo`, site, room: 'bodega', device: 'termo', attribute: 'temp', value: 2, unit: '°C', ts: Date.now(), deviceTs: true };
    alerts.observeReadings([reading]);
    await alerts.save();
    const alert = alerts.activeAlerts().find((a) => a.site === site);
    assert.ok(alert, 'the rule raised an alert');
    const token = await ackLinkToken(pool, secretBox().signingKey, { messageKey: `msg_${site}`, alertId: alert.id, site, userId: ownerId, now: Date.now(), ttlMs: 3_600_000 });
    const open = api.as({}); // the link is the credential

    const page = await open.call('GET', `/notify/ack/${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.body, new RegExp(`critical: .*${site} / bodega / termo.* — active`));
    assert.ok(page.body.includes(ownerName));
    assert.equal(alerts.activeAlerts().find((a) => a.id === alert.id)?.state, 'active', 'looking acknowledges nothing');

    const used = await open.call('POST', `/notify/ack/${token}`, { json: { note: 'on my way' } });
    assert.deepEqual([used.status, used.body], [200, { acknowledged: true, alertId: alert.id, by: ownerName }]);
    const now = alerts.activeAlerts().find((a) => a.id === alert.id);
    assert.deepEqual([now?.state, now?.acknowledgedBy, now?.acknowledgeNote], ['acknowledged', ownerName, 'on my way']);
    const again = await open.call('POST', `/notify/ack/${token}`, { json: {} });
    assert.deepEqual([again.status, again.body], [403, { error: 'this acknowledge link has already been used' }]);
    const tampered = await open.call('GET', `/notify/ack/${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`);
    assert.deepEqual([tampered.status, tampered.body], [403, { error: 'this acknowledge link is not valid' }]);
  });
}
