/**
 * `npm run bench -- notify`: alert raised → signed webhook received, through the real path:
 * AlertService (its save writes the outbox in the alert's transaction) → Dispatcher (SKIP LOCKED
 * claims, idempotency keys) → HTTP POST to a local receiver that checks the signature. 1 000
 * alerts raised at 200 a second on 1 000 devices for one person with one webhook; the rate limit
 * is lifted (a storm would otherwise be folded into digests on purpose), digests still form when
 * several are due at once. Latency per notification: the alert's raisedAt → its message arriving.
 * Lost: notifications never received; duplicated: received in more than one message.
 */
import { randomBytes } from 'node:crypto';
import { Database } from '../lib/db/database';
import { AlertService } from '../lib/alerts/alert-service';
import type { Reading } from '../lib/model/reading';
import { Dispatcher } from '../lib/notify/dispatcher';
import { enqueueAlertNotifications } from '../lib/notify/notify-enqueue';
import { createChannel, savePreferences } from '../lib/notify/notify-store';
import { SecretBox } from '../lib/notify/secret-box';
import { createSenders } from '../lib/notify/senders';
import { startReceivers } from '../test/support/notify-receivers';
import { benchDatabase } from './support/bench-database';
import { percentile, round, type Figures } from './support/figures';

const ALERTS = 1000;
const RATE = 200;

export async function runNotifyBench(): Promise<Figures> {
  const url = await benchDatabase('octopus_bench_notify');
  const database = new Database({ connectionString: url, poolSize: 6 });
  const pool = await database.ready();
  const rx = await startReceivers();
  const run = `b${Date.now().toString(36)}`;
  const site = `bench-${run}`;
  const box = new SecretBox('the notify bench secret, long enough');
  try {
    const u = await pool.query<{ id: string }>(`insert into auth_users (username, password_hash) values ($1, 'x') returning id`, [`bench-${run}`]);
    const uid = Number(u.rows[0].id);
    await pool.query(`insert into auth_site_roles (user_id, site, role) values ($1, $2, 'resident')`, [uid, site]);
    const hookKey = randomBytes(16).toString('hex');
    rx.secrets.set('/hook/bench', hookKey);
    const ch = await createChannel(pool, box, uid, { kind: 'webhook', name: 'bench', config: { url: `${rx.httpUrl}/hook/bench`, format: 'generic' }, secret: hookKey });
    if (ch === 'too-many') throw new Error('too many channels');
    await savePreferences(pool, uid, { site, minSeverity: 'info', channelIds: [ch.id], inapp: false, criticalBreaksThrough: true });

    const service = new AlertService({
      database: () => database.ready(),
      rules: [{ id: `bench-${run}`, site, attribute: 'alarm', condition: 'equals', value: true, severity: 'critical' }],
      onSave: enqueueAlertNotifications,
    });
    await service.start();
    const dispatcher = new Dispatcher({ database: () => database.ready(), box, senders: createSenders(), publicUrl: 'http://octopus.bench', intervalMs: 50, ratePerWindow: 1e9 });
    const received = new Map<string, number>();
    const raisedAt = new Map<string, number>();
    service.on('transition', (t: { type: string; alert: { id: string; raisedAt: number } }) => {
      if (t.type === 'raised') raisedAt.set(t.alert.id, t.alert.raisedAt);
      setTimeout(() => dispatcher.kick(), 60);
    });
    // When each notification's message arrived, read off the receiver as it records them.
    const seen = new Map<string, Set<string>>();
    const arrivals = new Map<string, number>();
    const poll = setInterval(() => {
      for (const w of rx.webhooks.splice(0)) {
        for (const n of w.body.notifications as { id: string; alertId: string }[]) {
          const keys = seen.get(n.id) ?? new Set<string>();
          keys.add(w.key);
          seen.set(n.id, keys);
          if (!arrivals.has(n.id)) arrivals.set(n.id, Date.now());
          received.set(n.id, (raisedAt.get(n.alertId) ?? NaN) as number);
        }
      }
    }, 1);
    dispatcher.start();
    const t0 = Date.now();
    for (let i = 0; i < ALERTS; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r: Reading = { deviceId: `${site}/sala/d${i}`, site, room: 'sala', device: `d${i}`, attribute: 'alarm', value: true, ts: Date.now(), deviceTs: false };
      service.observeReadings([r]);
    }
    const deadline = Date.now() + 60_000;
    while (seen.size < ALERTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(poll);
    await dispatcher.stop();
    await service.stop();
    const latencies = [...arrivals].map(([id, at]) => at - (received.get(id) ?? NaN)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const lost = ALERTS - seen.size;
    const duplicated = [...seen.values()].filter((k) => k.size > 1).length;
    const messages = new Set([...seen.values()].flatMap((k) => [...k])).size;
    console.log(
      `notify: ${ALERTS} alerts at ${RATE}/s → ${seen.size} notifications received in ${messages} webhook messages; ` +
        `raised → received p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms, max ${round(percentile(latencies, 100))} ms; lost ${lost}, duplicated ${duplicated}`,
    );
    return { notify_p50_ms: round(percentile(latencies, 50)), notify_p99_ms: round(percentile(latencies, 99)), notify_messages: messages, notify_lost: lost, notify_duplicated: duplicated };
  } finally {
    await rx.close();
    await database.close();
  }
}
