import { connect, type MqttClient } from 'mqtt';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { numberSetting } from '../../lib/node-config/number-settings';
import { startWithRetry } from '../../lib/util/retry';
import { parseQuietHours, type Alert, type AlertTransition } from '../../lib/alerts/alert-engine';
import { AlertService } from '../../lib/alerts/alert-service';
import { enqueueAlertNotifications } from '../../lib/notify/notify-enqueue';
import { checkRules, severityRank, type AlertRule } from '../../lib/alerts/rules';
import { isReading, type Reading } from '../../lib/model/reading';
import { isReadingBatch } from '../../lib/ingest/5-reading-batch';
import { RateLimitedLog, ThrottledStatus } from '../../lib/util/throttled-status';
import type { BrokerConfigNode } from '../octopus-broker/types';
import { octopusRuntime } from '../octopus-runtime';
import type { PostgresConfigNode } from '../octopus-postgres/types';

type AlertInput = NodeMessageInFlow & { topic?: unknown };

const MAX_REPEAT_S = 30 * 86_400;

/** An MQTT topic level from a name: the separators and wildcards a name may hold are replaced. */
function level(s: string): string {
  // U+0000 is forbidden in MQTT topics too; split/join keeps it out of a regex literal.
  const t = s.replace(/[/+#]/g, '_').split('\u0000').join('_');
  return t === '' ? '_' : t;
}

function alertTopic(prefix: string, a: Pick<Alert, 'site' | 'device' | 'attribute'>): string {
  return `${prefix}/alerts/${level(a.site)}/${level(a.device)}/${level(a.attribute)}`;
}

/**
 * Keeps `<prefix>/alerts/<site>/<device>/<attribute>` retained while an alert is open there and
 * empties it when the last one clears. Several rules may watch one series: the topic carries the
 * most severe open alert. What could not be published (broker away) goes out on reconnect, with
 * every open topic again, in case the broker lost its retained messages.
 */
class AlertPublisher {
  private readonly open = new Map<string, Map<string, Alert>>();
  private readonly unsent = new Map<string, string>();

  constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    private readonly warn: (line: string) => void,
  ) {
    client.on('connect', () => {
      for (const topic of this.open.keys()) this.unsent.set(topic, this.payloadOf(topic));
      for (const topic of [...this.unsent.keys()]) this.flush(topic);
    });
  }

  load(alerts: readonly Alert[]): void {
    for (const a of alerts) this.set(a);
    for (const topic of this.open.keys()) {
      this.unsent.set(topic, this.payloadOf(topic));
      this.flush(topic);
    }
  }

  transition(t: AlertTransition): void {
    const topic = this.set(t.alert);
    this.unsent.set(topic, this.payloadOf(topic));
    this.flush(topic);
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }

  private set(a: Alert): string {
    const topic = alertTopic(this.prefix, a);
    let m = this.open.get(topic);
    if (a.state === 'cleared') {
      m?.delete(a.id);
      if (m && m.size === 0) this.open.delete(topic);
    } else {
      if (!m) this.open.set(topic, (m = new Map()));
      m.set(a.id, a);
    }
    return topic;
  }

  private payloadOf(topic: string): string {
    let best: Alert | undefined;
    for (const a of this.open.get(topic)?.values() ?? []) {
      if (!best || severityRank(a.severity) > severityRank(best.severity) || (a.severity === best.severity && a.raisedAt > best.raisedAt)) best = a;
    }
    return best ? JSON.stringify(best) : '';
  }

  private flush(topic: string): void {
    if (!this.client.connected) return;
    const payload = this.unsent.get(topic);
    if (payload === undefined) return;
    this.client.publish(topic, payload, { qos: 1, retain: true }, (err) => {
      if (err) this.warn(`alert not published on ${topic} (will retry on reconnect): ${err.message}`);
      else if (this.unsent.get(topic) === payload) this.unsent.delete(topic);
    });
  }
}

export = function register(RED: NodeAPI): void {
  // The alerts API (/api/v1/alerts) and the editor's rule check are the runtime's routes.
  const runtime = octopusRuntime(RED);

  function OctopusAlertNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-alert', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-alert', read.problem, { statusMax: 120 });
    if (read.note) node.log(read.note);
    const def = read.config;
    const db = RED.nodes.getNode(def.database ?? '') as PostgresConfigNode | null;
    const broker = def.broker ? (RED.nodes.getNode(def.broker) as BrokerConfigNode | null) : null;
    const prefix = (def.topicPrefix ?? '').trim() || 'octopus';
    const repeatS = numberSetting(def.repeatS, 0);
    const quiet = parseQuietHours(def.quietHours);
    let rules: AlertRule[] = [];
    let rulesProblem: string | undefined;
    try {
      const parsed: unknown = (def.rules ?? '').trim() === '' ? [] : JSON.parse(def.rules ?? '');
      const checked = checkRules(parsed);
      if (checked.ok) rules = checked.rules;
      else rulesProblem = `rules: ${checked.errors.join('; ')}`;
    } catch (err) {
      rulesProblem = `rules are not valid JSON: ${(err as Error).message}`;
    }
    const problem =
      (!db && 'no database configured') ||
      db?.problem ||
      (def.broker && !broker ? 'the configured broker is missing' : undefined) ||
      broker?.problem ||
      rulesProblem ||
      (!(repeatS >= 0 && repeatS <= MAX_REPEAT_S) ? `repeat every ${String(def.repeatS)} s is outside 0–${MAX_REPEAT_S}` : undefined) ||
      (!quiet.ok ? quiet.error : undefined) ||
      (/[+#]/.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/') ? `topic prefix "${prefix}" must not hold + or # nor start or end with /` : undefined);
    const database = db?.database;
    if (problem || !database || !quiet.ok) {
      return refuseConfig(node, 'octopus-alert', String(problem ?? 'database unavailable'), { statusMax: 120 });
    }

    const status = new ThrottledStatus((s) => node.status(s), 1000);
    const log = new RateLimitedLog((line) => node.warn(line));
    // The last save on close must find the pool open: the database node may be closed first.
    const releaseDatabase = database.retain();
    const service = new AlertService({
      database: () => database.ready(),
      nodeId: node.id,
      rules,
      repeatMs: repeatS * 1000,
      quietHours: quiet.value,
      kindOf: (deviceId) => runtime.registry.current()?.registry.get(deviceId)?.meta.kind,
      // The transitions' notifications go into the outbox in the same transaction (octopus-notify sends them).
      onSave: enqueueAlertNotifications,
    });
    const deactivate = runtime.alerts.provide(service);

    let publisher: AlertPublisher | undefined;
    if (broker) {
      // Alerts go out on a connection of their own: a paused ingest never holds them back.
      const client = connect(broker.brokerUrl, broker.clientOptions('alerts', { clean: true, log: () => undefined }));
      client.on('error', (err) => log.write(`alert publisher: ${err.message}`));
      publisher = new AlertPublisher(client, prefix, (line) => log.write(line));
    }

    const showStatus = () => {
      if (!service.ready) {
        status.set({ fill: 'grey', shape: 'ring', text: `loading alert state… (${service.engine.ruleCount} rules)` });
        return;
      }
      const c = service.counts();
      const unsaved = service.lastSaveError ? ` · not saved: ${service.lastSaveError}` : '';
      const ack = c.acknowledged > 0 ? ` (${c.acknowledged} ack)` : '';
      const fill = unsaved || c.critical > 0 ? 'red' : c.warning > 0 ? 'yellow' : c.info > 0 ? 'blue' : 'green';
      status.set({ fill, shape: 'dot', text: `${c.critical} critical · ${c.warning} warning · ${c.info} info${ack} · ${service.engine.ruleCount} rules${unsaved}` });
    };

    const onTransition = (t: AlertTransition) => {
      const payload: Record<string, unknown> = { ...t.alert, transition: t.type };
      if (t.previousSeverity) payload.previousSeverity = t.previousSeverity;
      if (t.by) payload.by = t.by;
      if (t.note) payload.note = t.note;
      node.send({ topic: `alert/${t.type}/${t.alert.deviceId}/${t.alert.attribute}`, payload });
      publisher?.transition(t);
      showStatus();
    };
    service.on('transition', onTransition);
    service.on('save-error', (err: Error) => log.write(`alert state not saved (will retry): ${err.message}`));

    showStatus();
    const starting = startWithRetry(() => service.start(), {
      retryMs: 5000,
      onStarted: () => {
        publisher?.load(service.engine.openAlerts());
        node.log(`alerts loaded: ${service.engine.openAlerts().length} open, ${service.engine.ruleCount} rules (${service.rulesSource})`);
        showStatus();
      },
      onFailure: (err) => {
        log.write(`alerts waiting for the database: ${err.message}`);
        status.set({ fill: 'red', shape: 'ring', text: `waiting for database: ${err.message}` });
      },
    });
    const refresh = setInterval(showStatus, 2000);

    node.on('input', (msg, _send, done) => {
      const m = msg as AlertInput;
      if (m.topic === 'rules') {
        const r = service.setRules(m.payload);
        showStatus();
        if (!r.ok) return done(new Error(`octopus-alert: rules not applied: ${r.error}`));
        node.log(`rules replaced by message: ${r.count} active`);
        return done();
      }
      if (m.topic === 'ack' || m.topic === 'clear') {
        const p = (m.payload ?? {}) as { id?: unknown; by?: unknown; note?: unknown };
        if (typeof p.id !== 'string') return done(new Error(`octopus-alert: ${m.topic} needs msg.payload.id (the alert id)`));
        const by = typeof p.by === 'string' && p.by !== '' ? p.by : 'flow';
        const note = typeof p.note === 'string' ? p.note : undefined;
        const action = m.topic === 'ack' ? service.acknowledge(p.id, by, note) : service.clear(p.id, by, note);
        action.then(
          (r) => done(r.ok ? undefined : new Error(`octopus-alert: ${r.error}`)),
          (err: Error) => done(err),
        );
        return;
      }
      // octopus-parse's columnar batch gives plain readings; a list or a single object is read as is
      const items: unknown[] = isReadingBatch(m.payload) ? m.payload.readings() : Array.isArray(m.payload) ? m.payload : [m.payload];
      const readings: Reading[] = [];
      for (const x of items) {
        if (isReading(x)) readings.push(x);
        else log.write('octopus-alert takes readings (octopus-parse output 1), or msg.topic "rules", "ack" or "clear"; ignored something else');
      }
      if (readings.length > 0) service.observeReadings(readings);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      starting.stop();
      clearInterval(refresh);
      status.close();
      deactivate();
      service.off('transition', onTransition);
      const timer = setTimeout(() => {
        releaseDatabase();
        done();
      }, 10000);
      service
        .stop()
        .catch(() => undefined)
        .then(() => publisher?.end())
        .catch(() => undefined)
        .then(() => {
          releaseDatabase();
          clearTimeout(timer);
          done();
        });
    });
  }

  RED.nodes.registerType('octopus-alert', OctopusAlertNode);
};
