import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { SecretBox } from '../lib/notify/secret-box';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { startReceivers, type Receivers } from './support/notify-receivers';

/**
 * Notifications across crashes and instances, with the whole application (npm start's default
 * flow: the alarm rule and the notify node). Two instances share one database; A is killed with
 * SIGKILL while webhooks are in flight, then restarted. The receivers count every notification.
 */
const SECRET = `notify-crash-${randomUUID()}`;
const USERS = 4;
const ALARMS = 25;

describe('notifications survive a crash, and two instances never double-send (whole app)', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let rx: Receivers;
  let mqtt: MqttClient;
  const apps: RunningApp[] = [];
  const site = `crash-${randomUUID().slice(0, 6)}`;

  before(async () => {
    [db, rx] = await Promise.all([createTestDatabase(), startReceivers()]);
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `notify-crash-${randomUUID().slice(0, 6)}` });
  });
  after(async () => {
    await mqtt?.endAsync();
    await Promise.all(apps.map((a) => a.stop().catch(() => undefined)));
    await rx.close();
    await db.drop();
  });

  const env = (mqttUrl: string) => ({
    MQTT_URL: mqttUrl,
    DATABASE_URL: db.url,
    OCTOPUS_NOTIFY_SECRET: SECRET,
    OCTOPUS_NOTIFY_LEASE_MS: '4000',
    OCTOPUS_NOTIFY_INTERVAL_MS: '100',
    OCTOPUS_PUBLIC_URL: 'http://octopus.test',
  });

  it('SIGKILL mid-dispatch, restart: every notification delivered, none twice at the receivers; B shares the outbox', async () => {
    // A ingests; B shares only the outbox (its broker is unreachable, so it raises nothing itself).
    const t0 = Date.now();
    const mark = (what: string) => process.env.NOTIFY_TEST_TIMES && console.log(`      ${Date.now() - t0} ms: ${what}`);
    const a = await startApp(env(MQTT_TEST_URL));
    apps.push(a);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      // The database node migrates on first use, after the flows start.
      await waitFor(async () => (await c.query(`select to_regclass('notify_ack_links') as t`)).rows[0].t !== null, 15000, 'the migrations');
      apps.push(await startApp(env('mqtt://127.0.0.1:9')));
      mark('both started');
      const box = new SecretBox(SECRET);
      for (let i = 0; i < USERS; i++) {
        const u = await c.query<{ id: string }>(`insert into auth_users (username, password_hash) values ($1, 'x') returning id`, [`${site}-p${i}`]);
        const uid = Number(u.rows[0].id);
        await c.query(`insert into auth_site_roles (user_id, site, role) values ($1, $2, 'resident')`, [uid, site]);
        const path = `/hook/p${i}`;
        rx.secrets.set(path, `sec-${i}`);
        const ch = await c.query<{ id: string }>(
          `insert into notify_channels (user_id, kind, name, config, secret) values ($1, 'webhook', 'hook', $2::jsonb, $3) returning id`,
          [uid, JSON.stringify({ url: `${rx.httpUrl}${path}`, format: 'generic' }), box.seal(`sec-${i}`, uid)],
        );
        await c.query(`insert into notify_preferences (user_id, site, min_severity, channel_ids, inapp) values ($1, $2, 'info', $3::bigint[], false)`, [uid, site, [ch.rows[0].id]]);
      }
      // Slow receivers (within the 2 s a send may take with a 4 s lease): each wave of sends takes 0.8 s, so
      // waves are still going out when every alarm is saved, and a request is in flight when A dies.
      rx.webhookDelayMs = 800;
      for (let i = 0; i < ALARMS; i++) {
        await mqtt.publishAsync(`${site}/sala/d${i}/alarm`, 'true', { qos: 1 });
        await new Promise((r) => setTimeout(r, 20));
      }
      const expected = ALARMS * USERS;
      const outbox = () => c.query<{ n: number; open: number }>(`select count(*)::int as n, count(*) filter (where state <> 'sent')::int as open from notify_outbox where site = $1 and user_id in (select user_id from auth_site_roles where site = $1)`, [site]);
      await waitFor(async () => (await outbox()).rows[0].n === expected, 30000, 'every notification in the outbox');
      // A dies while a webhook is at the receiver and unanswered: it never learns that it arrived.
      await waitFor(() => rx.inFlight > 0 && rx.webhooks.length >= 1, 30000, 'a webhook in flight');
      mark('in the outbox');
      await a.kill();
      const before = (await outbox()).rows[0];
      assert.ok(before.open > 0, `killed mid-dispatch (${before.open} of ${expected} not yet sent)`);
      // B takes over once the dead instance's leases end; A comes back meanwhile.
      const restarting = startApp(env(MQTT_TEST_URL), { dataDir: a.dataDir });

      const perNotification = new Map<string, Set<string>>();
      const tally = () => {
        perNotification.clear();
        for (const w of rx.webhooks) {
          for (const n of (w.body.notifications as { id: string }[]) ?? []) {
            const keys = perNotification.get(n.id) ?? new Set<string>();
            keys.add(w.key);
            perNotification.set(n.id, keys);
          }
        }
        return perNotification.size;
      };
      await waitFor(async () => tally() === expected && (await outbox()).rows[0].open === 0, 40000, 'every notification received and marked sent');
      mark('all received');
      apps.push(await restarting);
      mark('A restarted');
      await new Promise((r) => setTimeout(r, 500)); // anything late would show now
      tally();
      assert.ok(rx.webhooks.every((w) => w.signatureOk), 'every webhook signed');
      const underTwoKeys = [...perNotification].filter(([, keys]) => keys.size > 1);
      assert.deepEqual(underTwoKeys, [], 'no notification went out in two different messages');
      // Counted at the receivers, deduplicated by the Idempotency-Key they are given: exactly once each.
      const distinctMessages = new Set(rx.webhooks.map((w) => w.key)).size;
      const resent = rx.webhooks.length - distinctMessages;
      console.log(`      ${expected} notifications in ${distinctMessages} messages; ${resent} resent after the crash with the same Idempotency-Key`);
      assert.ok(resent >= 1, 'the webhook in flight at the crash was sent again, under its key');
      const claimers = await c.query<{ claimed_by: string }>(`select distinct claimed_by from notify_outbox where site = $1`, [site]);
      assert.ok(claimers.rows.length >= 2, 'more than one instance sent');
    } finally {
      await c.end();
    }
  });
});
