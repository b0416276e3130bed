import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { AlertService } from '../../lib/alerts/alert-service';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { Dispatcher } from '../../lib/notify/dispatcher';
import { enqueueNotifications } from '../../lib/notify/notify-enqueue';
import { unreadCount } from '../../lib/notify/notify-store';
import { severityRank, type NotifySeverity, type OutgoingMessage } from '../../lib/notify/notify-types';
import { createSenders } from '../../lib/notify/senders';
import { RateLimitedLog, ThrottledStatus } from '../../lib/util/throttled-status';
import type { PostgresConfigNode } from '../octopus-postgres/types';
import { octopusRuntime } from '../octopus-runtime';

type NotifyInput = NodeMessageInFlow & { site?: unknown; severity?: unknown; title?: unknown; topic?: unknown };

const MAX_TEXT = 2000;

/**
 * "notify people": runs the notification dispatcher of this Node-RED instance (lib/notify), so
 * alerts reach people's channels, and turns any message into a notification of a site's people,
 * through their preferences, quiet hours and the same outbox.
 */
export = function register(RED: NodeAPI): void {
  const runtime = octopusRuntime(RED);
  function OctopusNotifyNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-notify', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-notify', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const db = RED.nodes.getNode(def.database ?? '') as PostgresConfigNode | null;
    const database = db?.database;
    const problem = (!db && 'no database configured') || db?.problem || (!database && 'database unavailable') || undefined;
    if (problem || !database) return refuseConfig(node, 'octopus-notify', String(problem));
    const defaultSite = def.site ?? '';
    const defaultSeverity: NotifySeverity = def.severity || 'info';
    const status = new ThrottledStatus((s) => node.status(s), 1000);
    const log = new RateLimitedLog((line) => node.warn(line));
    const releaseDatabase = database.retain();
    const root = String((RED.settings as { httpNodeRoot?: string }).httpNodeRoot ?? '/').replace(/\/+$/, '');
    const publicUrl = process.env.OCTOPUS_PUBLIC_URL || `http://localhost:${process.env.PORT || '1880'}`;
    const ready = () => database.ready();
    // A lease outlives any send (each is cut at half of it): a slow receiver is never sent to twice.
    const leaseMs = Math.max(2000, Number(process.env.OCTOPUS_NOTIFY_LEASE_MS) || 60_000);
    const dispatcher = new Dispatcher({
      database: ready,
      box: runtime.notifySecrets(),
      senders: createSenders({ smtpUrl: process.env.OCTOPUS_SMTP_URL, mailFrom: process.env.OCTOPUS_SMTP_FROM, telegramApiUrl: process.env.OCTOPUS_TELEGRAM_API_URL, timeoutMs: Math.min(10_000, leaseMs / 2) }),
      leaseMs,
      publicUrl: `${publicUrl.replace(/\/+$/, '')}${root}`,
      intervalMs: Number(process.env.OCTOPUS_NOTIFY_INTERVAL_MS) || 500,
    });
    const unprovideOutbox = runtime.notifyOutbox.provide(ready);
    const show = () => {
      const s = dispatcher.stats;
      const err = dispatcher.lastError ? ` · ${dispatcher.lastError}` : '';
      status.set({ fill: err || s.failed > 0 ? 'red' : 'green', shape: 'dot', text: `sent ${s.sent} · failed ${s.failed} · held ${s.held}${err}`.slice(0, 120) });
    };
    dispatcher.on('inapp', (userId: number, m: OutgoingMessage) => {
      void ready()
        .then((pool) => unreadCount(pool, userId))
        .then((unread) => runtime.notifyUnread.announce(userId, { unread, latest: { title: m.title, body: m.items[0]?.body ?? m.text, severity: m.severity, site: m.site } }))
        .catch(() => undefined);
    });
    dispatcher.on('sent', show);
    dispatcher.on('failed', (n: number, error: string) => {
      log.write(`${n} notification(s) failed for good: ${error}`);
      show();
    });
    dispatcher.on('error-line', (line: string) => {
      log.write(line);
      show();
    });
    dispatcher.start();
    show();

    // An alert's notifications are written with its save (50 ms after the transition): look soon after.
    let followed: AlertService | undefined;
    const onTransition = () => setTimeout(() => dispatcher.kick(), 120);
    const unfollowAlerts = runtime.alerts.subscribe((current) => {
      followed?.off('transition', onTransition);
      followed = current;
      followed?.on('transition', onTransition);
    });

    node.on('input', (msg, _send, done) => {
      const m = msg as NotifyInput;
      const site = typeof m.site === 'string' && m.site !== '' ? m.site : defaultSite;
      const severity = (typeof m.severity === 'string' ? m.severity : defaultSeverity) as NotifySeverity;
      if (!site) return done(new Error('octopus-notify: no site: set msg.site or the node\'s site'));
      if (site.length > 200) return done(new Error('octopus-notify: msg.site is longer than 200 characters'));
      if (severityRank(severity) < 0) return done(new Error(`octopus-notify: severity must be info, warning or critical, not "${severity}"`));
      const text = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload ?? '');
      const title = typeof m.title === 'string' && m.title !== '' ? m.title : typeof m.topic === 'string' && m.topic !== '' ? m.topic : `${site}: ${severity}`;
      ready()
        .then((pool) =>
          enqueueNotifications(pool, [
            // Keyed by the message id: the same message handed in twice notifies once.
            { source: 'message', sourceId: String(m._msgid), alertId: null, site, severity, title: title.slice(0, 200), body: text.slice(0, MAX_TEXT), at: dispatcher.now() },
          ]),
        )
        .then(
          () => {
            dispatcher.kick();
            done();
          },
          (err: Error) => done(new Error(`octopus-notify: not queued: ${err.message}`)),
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      unfollowAlerts();
      followed?.off('transition', onTransition);
      unprovideOutbox();
      status.close();
      const timer = setTimeout(() => {
        releaseDatabase();
        done();
      }, 10000);
      void dispatcher.stop().then(() => {
        clearTimeout(timer);
        releaseDatabase();
        done();
      });
    });
  }

  RED.nodes.registerType('octopus-notify', OctopusNotifyNode);
};
