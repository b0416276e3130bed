import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AlertService } from '../lib/alerts/alert-service';
import type { AlertRule } from '../lib/alerts/rules';
import { Database } from '../lib/db/database';
import type { Reading } from '../lib/model/reading';
import { checkAckLink, useAckLink } from '../lib/notify/ack-links';
import { Dispatcher, type DispatcherOptions } from '../lib/notify/dispatcher';
import { enqueueAlertNotifications } from '../lib/notify/notify-enqueue';
import { createChannel, failedNotifications, pruneNotifications, saveEscalation, savePreferences } from '../lib/notify/notify-store';
import { SecretBox } from '../lib/notify/secret-box';
import { createSenders } from '../lib/notify/senders';
import { createTestDatabase, type TestDatabase } from './support/database';
import { startReceivers, type Receivers } from './support/notify-receivers';

const T0 = Date.parse('2026-11-23T10:00:00Z'); // 11:00 in Europe/Madrid; every clock below is relative to it
const MIN = 60_000;
const RULES: AlertRule[] = [
  { id: 'hot', attribute: 'temperature', condition: 'above', threshold: 30, severity: 'warning' },
  { id: 'leak', attribute: 'water', condition: 'equals', value: true, severity: 'critical' },
];

function reading(device: string, attribute: string, value: number | boolean, site = 'casa'): Reading {
  return { deviceId: `${site}/cocina/${device}`, site, room: 'cocina', device, attribute, value, ts: 0, deviceTs: false };
}

describe('notifications (real Postgres, SMTP, HTTP receivers)', function () {
  this.timeout(30000);
  let tdb: TestDatabase;
  let database: Database;
  let rx: Receivers;
  let clock = T0;
  const box = new SecretBox('a test secret that is long enough');
  const users: Record<string, number> = {};
  // Channel secrets made per run: none is written in the repository.
  const hookKey = (name: string) => `${name}-${runKey}`;
  const runKey = randomBytes(6).toString('hex');
  const botToken = `123456:${randomBytes(8).toString('hex')}`;
  const services: AlertService[] = [];

  before(async () => {
    [tdb, rx] = await Promise.all([createTestDatabase(), startReceivers()]);
    database = new Database({ connectionString: tdb.url, poolSize: 6 });
    const pool = await database.ready();
    for (const [name, role] of [['ana', 'resident'], ['bea', 'owner'], ['carl', 'viewer'], ['dan', null]] as const) {
      const u = await pool.query<{ id: string }>(`insert into auth_users (username, password_hash) values ($1, 'x') returning id`, [name]);
      users[name] = Number(u.rows[0].id);
      if (role) await pool.query('insert into auth_site_roles (user_id, site, role) values ($1, $2, $3)', [users[name], 'casa', role]);
    }
    await pool.query(`insert into site_settings (site, time_zone) values ('casa', 'Europe/Madrid')`);
  });
  after(async () => {
    for (const s of services) await s.stop();
    await database.close();
    await Promise.all([tdb.drop(), rx.close()]);
  });

  async function alerts(): Promise<AlertService> {
    const s = new AlertService({ database: () => database.ready(), rules: RULES, now: () => clock, tickIntervalMs: 3_600_000, saveIntervalMs: 3_600_000, onSave: enqueueAlertNotifications });
    services.push(s);
    await s.start();
    return s;
  }

  function dispatcher(over: Partial<DispatcherOptions> = {}): Dispatcher {
    return new Dispatcher({
      database: () => database.ready(),
      senders: createSenders({ telegramApiUrl: rx.httpUrl, smtpUrl: rx.smtpUrl, timeoutMs: 3000 }),
      box,
      now: () => clock,
      publicUrl: 'http://octopus.test',
      backoffMs: 1000,
      ...over,
    });
  }

  async function webhook(user: string, format: 'generic' | 'ntfy' | 'slack' = 'generic'): Promise<number> {
    const path = `/hook/${user}/${format}`;
    rx.secrets.set(path, hookKey(`${user}-${format}`));
    const c = await createChannel(await database.ready(), box, users[user], { kind: 'webhook', name: `${user} ${format}`, config: { url: `${rx.httpUrl}${path}`, format, topic: 'casa' }, secret: hookKey(`${user}-${format}`) });
    assert.ok(c !== 'too-many');
    return c.id;
  }

  const hits = (user: string) => rx.webhooks.filter((w) => w.path.startsWith(`/hook/${user}/`));

  it('a transition writes its notifications in the alert\'s transaction; mail, signed webhooks (3 formats) and Telegram receive them', async () => {
    const pool = await database.ready();
    const ids = [await webhook('ana'), await webhook('ana', 'ntfy'), await webhook('ana', 'slack')];
    const tg = await createChannel(pool, box, users.ana, { kind: 'telegram', name: 'tg', config: { chatId: '4242' }, secret: botToken });
    const mail = await createChannel(pool, box, users.ana, { kind: 'email', name: 'mail', config: { to: 'ana@casa.test' } });
    assert.ok(tg !== 'too-many' && mail !== 'too-many');
    // The secret is sealed in the database, not stored as given.
    const raw = await pool.query<{ secret: Buffer }>('select secret from notify_channels where id = $1', [tg.id]);
    assert.ok(!raw.rows[0].secret.toString('latin1').includes(botToken.slice(7)));
    assert.ok(await savePreferences(pool, users.ana, { site: 'casa', minSeverity: 'warning', channelIds: [...ids, tg.id, mail.id], inapp: true, criticalBreaksThrough: true }));
    // bea and carl hear only of criticals here; dan has no role at casa and never hears of it.
    for (const u of ['bea', 'carl']) assert.ok(await savePreferences(pool, users[u], { site: 'casa', minSeverity: 'critical', channelIds: [], inapp: true, criticalBreaksThrough: true }));

    // A save that fails after the notifications were written leaves neither alert nor notification.
    const broken = new AlertService({
      database: () => database.ready(),
      rules: RULES,
      now: () => clock,
      tickIntervalMs: 3_600_000,
      saveIntervalMs: 3_600_000,
      onSave: async (client, saved) => {
        await enqueueAlertNotifications(client, saved);
        throw new Error('crash inside the transaction');
      },
    });
    await broken.start();
    broken.observeReadings([reading('horno', 'temperature', 99)]);
    await broken.save();
    await broken.stop();
    assert.equal(Number((await pool.query('select count(*) from alerts')).rows[0].count), 0);
    assert.equal(Number((await pool.query('select count(*) from notify_outbox')).rows[0].count), 0);

    const s = await alerts();
    s.observeReadings([reading('nevera', 'temperature', 35)]);
    await s.save();
    const rows = await pool.query<{ user_id: string; channel_key: string; source_id: string }>('select user_id, channel_key, source_id from notify_outbox order by id');
    assert.equal(rows.rows.length, 6, 'ana: in-app, 3 webhooks, telegram, mail');
    assert.ok(rows.rows.every((r) => Number(r.user_id) === users.ana));
    const event = await pool.query<{ id: string }>(`select id::text from alert_events where type = 'raised'`);
    assert.ok(rows.rows.every((r) => r.source_id === event.rows[0].id), 'keyed by the transition');

    const inapp: number[] = [];
    const d = dispatcher();
    d.on('inapp', (uid: number) => inapp.push(uid));
    await d.round();
    assert.deepEqual(inapp, [users.ana]);
    const got = hits('ana');
    assert.equal(got.length, 3);
    assert.ok(got.every((w) => w.signatureOk), 'every webhook is signed with its channel secret');
    const generic = got.find((w) => w.path.endsWith('/generic'))!;
    assert.match(String(generic.body.title), /\[warning\]/);
    const items = generic.body.items as { ackUrl: string }[];
    assert.match(items[0].ackUrl, /^http:\/\/octopus\.test\/api\/v1\/notify\/ack\/[\w-]+\.\d+\.\d+\.[a-f0-9]{64}$/);
    assert.equal(got.find((w) => w.path.endsWith('/ntfy'))!.body.topic, 'casa');
    assert.match(String(got.find((w) => w.path.endsWith('/slack'))!.body.text), /^\*\[warning\]/);
    assert.equal(rx.telegram.length, 1);
    assert.equal(rx.telegram[0].token, botToken);
    assert.equal(rx.telegram[0].chatId, '4242');
    assert.equal(rx.mails.length, 1);
    assert.equal(rx.mails[0].to, 'ana@casa.test');
    assert.match(rx.mails[0].subject, /warning/);
    assert.ok([...rx.keys.values()].every((n) => n === 1));
    const left = await pool.query(`select count(*)::int as n from notify_outbox where state <> 'sent'`);
    assert.equal(left.rows[0].n, 0);
  });

  it('acknowledge link: GET changes nothing; used once works; reused, expired, tampered or lost role is refused', async () => {
    const pool = await database.ready();
    const url = (hits('ana').find((w) => w.path.endsWith('/generic'))!.body.items as { ackUrl: string }[])[0].ackUrl;
    const token = url.split('/').pop()!;
    const s = services[services.length - 1];
    const ack = (by: { alertId: string; username: string }) => s.acknowledge(by.alertId, by.username, 'seen').then((r) => (r.ok ? { ok: true as const } : r));

    const checked = await checkAckLink(pool, box.signingKey, token, clock);
    assert.ok(checked.ok);
    assert.equal(s.activeAlerts()[0].state, 'active', 'checking (GET) acknowledges nothing');
    const tampered = token.replace(/\.(\d+)\./, (_m, uid: string) => `.${Number(uid) + 1}.`);
    assert.deepEqual(await useAckLink(pool, box.signingKey, tampered, clock, undefined, ack), { ok: false, status: 403, error: 'this acknowledge link is not valid' });
    const expired = await useAckLink(pool, box.signingKey, token, clock + 25 * 60 * MIN, undefined, ack);
    assert.equal(expired.ok ? 0 : expired.status, 403);
    // ana loses her role: the link is hers, and she may no longer act on casa.
    await pool.query(`update auth_site_roles set role = 'viewer' where user_id = $1`, [users.ana]);
    const lost = await useAckLink(pool, box.signingKey, token, clock, undefined, ack);
    assert.equal(lost.ok ? 0 : lost.status, 403);
    assert.equal(s.activeAlerts()[0].state, 'active');
    await pool.query(`update auth_site_roles set role = 'resident' where user_id = $1`, [users.ana]);
    const used = await useAckLink(pool, box.signingKey, token, clock, 'on my way', ack);
    assert.ok(used.ok);
    assert.equal(s.activeAlerts()[0].state, 'acknowledged');
    assert.equal(s.activeAlerts()[0].acknowledgedBy, 'ana');
    const again = await useAckLink(pool, box.signingKey, token, clock, undefined, ack);
    assert.deepEqual(again, { ok: false, status: 403, error: 'this acknowledge link has already been used' });
  });

  it('escalation: unacknowledged for the delay reaches the next person exactly once (two dispatchers); acknowledging stops the chain', async () => {
    const pool = await database.ready();
    const beaHook = await webhook('bea');
    await savePreferences(pool, users.bea, { site: 'casa', minSeverity: 'critical', channelIds: [beaHook], inapp: false, criticalBreaksThrough: true });
    await saveEscalation(pool, 'casa', [{ delayMin: 5, userId: users.bea }, { delayMin: 10, role: 'viewer' }]);
    clock = T0 + 60 * MIN;
    const s = await alerts();
    s.observeReadings([reading('horno', 'temperature', 50), reading('tostadora', 'temperature', 50)]);
    await s.save();
    const [first, second] = s.activeAlerts().filter((a) => a.state === 'active');
    const d1 = dispatcher({ instance: 'one' });
    const d2 = dispatcher({ instance: 'two' });
    await Promise.all([d1.round(), d2.round()]);
    assert.equal(hits('bea').length, 0, 'a warning is below bea\'s minimum');
    await s.acknowledge(second.id, 'ana', undefined);
    await s.save();
    clock += 4 * MIN;
    await Promise.all([d1.round(), d2.round()]);
    assert.equal(hits('bea').length, 0, 'not yet due');
    clock += 2 * MIN;
    await Promise.all([d1.round(), d2.round(), d1.round(), d2.round()]);
    const bea = hits('bea');
    assert.equal(bea.length, 1, 'the first alert, once; the acknowledged one never');
    assert.match(String(bea[0].body.title), new RegExp(`not acknowledged after 6 min`));
    assert.match(String(bea[0].body.text), new RegExp(first.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    // Acknowledged before the second step (10 min later): carl (viewer) never hears of it.
    await s.acknowledge(first.id, 'bea', undefined);
    await s.save();
    clock += 11 * MIN;
    const before = await pool.query(`select count(*)::int as n from notify_outbox where user_id = $1`, [users.carl]);
    await Promise.all([d1.round(), d2.round()]);
    const afterCount = await pool.query(`select count(*)::int as n from notify_outbox where user_id = $1`, [users.carl]);
    assert.equal(afterCount.rows[0].n, before.rows[0].n);
    assert.equal((await pool.query('select count(*)::int as n from notify_chains')).rows[0].n, 0);
    await saveEscalation(pool, 'casa', []);
  });

  it('quiet hours (site time zone) hold back a warning until they end and let a critical through', async () => {
    const pool = await database.ready();
    const hook = await webhook('carl');
    // 10:00 UTC + 1 day is 11:00 in Madrid: quiet from 10:30 to 12:00 local.
    clock = T0 + 24 * 60 * MIN;
    await savePreferences(pool, users.carl, { site: 'casa', minSeverity: 'warning', channelIds: [hook], inapp: false, quiet: { startMin: 630, endMin: 720 }, criticalBreaksThrough: true });
    const s = await alerts();
    s.observeReadings([reading('lavadora', 'water', true), reading('secadora', 'temperature', 80)]);
    await s.save();
    const d = dispatcher({ ratePerWindow: 100 });
    await d.round();
    assert.deepEqual(hits('carl').map((h) => h.body.severity), ['critical']);
    clock += 59 * MIN; // 11:59 local: still quiet
    await d.round();
    assert.equal(hits('carl').length, 1);
    clock += 2 * MIN; // 12:01
    await d.round();
    assert.deepEqual(hits('carl').map((h) => h.body.severity), ['critical', 'warning']);
  });

  it('storms: one digest with "N more", and a per-recipient rate limit that folds the rest into the next digest', async () => {
    const pool = await database.ready();
    await pool.query(`delete from notify_preferences where user_id <> $1`, [users.dan]);
    await pool.query(`insert into auth_site_roles (user_id, site, role) values ($1, 'storm', 'resident')`, [users.dan]);
    const hook = await webhook('dan');
    await savePreferences(pool, users.dan, { site: 'storm', minSeverity: 'info', channelIds: [hook], inapp: false, criticalBreaksThrough: true });
    clock = T0 + 48 * 60 * MIN;
    const s = await alerts();
    s.observeReadings(Array.from({ length: 20 }, (_, i) => reading(`sensor${i}`, 'temperature', 40, 'storm')));
    await s.save();
    const d = dispatcher({ ratePerWindow: 2, windowMs: 10 * MIN, digestItems: 5 });
    await d.round();
    let dan = hits('dan');
    assert.equal(dan.length, 1, 'twenty alerts at once: one message');
    assert.equal((dan[0].body.items as unknown[]).length, 5);
    assert.equal(dan[0].body.more, 15);
    assert.match(String(dan[0].body.title), /^20 notifications · storm/);
    for (const i of [20, 21, 22]) {
      clock += MIN;
      s.observeReadings([reading(`sensor${i}`, 'temperature', 40, 'storm')]);
      await s.save();
      await d.round();
    }
    dan = hits('dan');
    assert.equal(dan.length, 2, 'the second message within the window, then the limit holds the rest');
    clock += 10 * MIN;
    await d.round();
    dan = hits('dan');
    assert.equal(dan.length, 3);
    assert.match(String(dan[2].body.title), /^2 notifications/);
  });

  it('a receiver that keeps failing: retried with backoff, then marked failed and listed', async () => {
    const pool = await database.ready();
    const path = '/hook/dan/generic';
    rx.failPaths.set(path, 500);
    clock = T0 + 72 * 60 * MIN;
    const s = await alerts();
    s.observeReadings([reading('bomba', 'temperature', 90, 'storm')]);
    await s.save();
    const d = dispatcher({ maxAttempts: 3, backoffMs: 1000, ratePerWindow: 100 });
    for (let i = 0; i < 3; i++) {
      await d.round();
      clock += 10_000;
    }
    rx.failPaths.delete(path);
    assert.equal(d.stats.failed, 1);
    assert.equal(d.stats.retried, 2);
    const failed = await failedNotifications(pool, ['storm']);
    assert.equal(failed.total, 1);
    assert.equal(failed.items[0].attempts, 3);
    assert.match(String(failed.items[0].error), /answered 500/);
    // A month later what is done with is forgotten: sent and failed rows, long-expired links.
    const pruned = await pruneNotifications(pool, clock + 31 * 24 * 60 * MIN);
    assert.ok(pruned.notifications > 0 && pruned.links > 0, JSON.stringify(pruned));
    assert.equal((await pool.query(`select count(*)::int as n from notify_outbox where state in ('sent', 'failed')`)).rows[0].n, 0);
  });
});
