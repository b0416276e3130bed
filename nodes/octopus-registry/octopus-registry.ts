import type { MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { NodeAPI, NodeDef } from 'node-red';
import { AutomationService } from '../../lib/automation/automation-service';
import type { AutomationNotice } from '../../lib/automation/automation-types';
import { enqueueNotifications } from '../../lib/notify/notify-enqueue';
import { DEFAULT_HOUSE_LIMITS } from '../../lib/registry/house-limits';
import { readNodeConfig } from '../../lib/node-config/node-config';
import { numberIn } from '../../lib/node-config/number-settings';
import { RegistryService } from '../../lib/registry/registry-service';
import { startWithRetry } from '../../lib/util/retry';
import type { BrokerConfigNode } from '../octopus-broker/types';
import { octopusRuntime } from '../octopus-runtime';
import type { PostgresConfigNode } from '../octopus-postgres/types';
import type { RegistryConfigNode } from './types';

export = function register(RED: NodeAPI): void {
  // The REST API is the runtime's; it serves the first registry deployed and still running.
  const runtime = octopusRuntime(RED);

  function OctopusRegistryNode(this: RegistryConfigNode, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    node.service = undefined;
    const read = readNodeConfig('octopus-registry', saved);
    if (!read.ok) {
      node.problem = read.problem;
      node.error(`octopus-registry: ${node.problem}`);
      return;
    }
    if (read.note) node.log(read.note);
    const def = read.config;
    const db = RED.nodes.getNode(def.database ?? '') as PostgresConfigNode | null;
    const broker = RED.nodes.getNode(def.broker ?? '') as BrokerConfigNode | null;
    const timeout = numberIn(def.commandTimeoutS, 10, 1, 3600, 'command timeout (s)');
    const stale = numberIn(def.staleAfterIntervals, 3, 1, 1000, 'stale after (intervals)');
    const offline = numberIn(def.offlineAfterIntervals, 10, 1, 10000, 'offline after (intervals)');
    const interval = numberIn(def.defaultIntervalS, 300, 1, 86400 * 7, 'default interval (s)');
    const maxDevices = numberIn(def.maxDevicesPerSite, DEFAULT_HOUSE_LIMITS.maxDevicesPerSite, 1, 1_000_000, 'max devices per site');
    const maxAttributes = numberIn(def.maxAttributesPerDevice, DEFAULT_HOUSE_LIMITS.maxAttributesPerDevice, 1, 100_000, 'max attributes per device');
    node.problem =
      (!db && 'no database configured') ||
      db?.problem ||
      (!broker && 'no broker configured (commands are published through it)') ||
      broker?.problem ||
      timeout.problem ||
      stale.problem ||
      offline.problem ||
      interval.problem ||
      maxDevices.problem ||
      maxAttributes.problem ||
      (offline.value <= stale.value ? 'offline after must be more intervals than stale after' : undefined);
    const database = db?.database;
    if (node.problem || !database || !broker) {
      node.error(`octopus-registry: ${node.problem}`);
      return;
    }

    // Commands go out on a connection of their own, so a paused ingest never holds them back.
    const publisher: MqttClient = connect(broker.brokerUrl, broker.clientOptions('commands', { clean: true, log: () => undefined }));
    publisher.on('error', (err) => node.warn(`command publisher: ${err.message}`));

    const service = new RegistryService({
      database: () => database.ready(),
      publish: async (topic, payload) => {
        if (!publisher.connected) throw new Error(`broker ${broker.brokerUrl} not connected`);
        await publisher.publishAsync(topic, payload, { qos: 1 });
      },
      commandTimeoutMs: timeout.value * 1000,
      registry: {
        staleAfterIntervals: stale.value,
        offlineAfterIntervals: offline.value,
        defaultIntervalMs: interval.value * 1000,
        maxDevicesPerSite: Math.floor(maxDevices.value),
        maxAttributesPerDevice: Math.floor(maxAttributes.value),
      },
    });
    node.service = service;
    // Home automation (issue #21) runs beside the registry whose commands it sends.
    const automation = new AutomationService({ registry: service, database: () => database.ready() });
    node.automation = automation;
    let deactivateAutomation = () => undefined as void;
    const unfollowAlerts = runtime.alerts.subscribe((alerts) => automation.followAlerts(alerts));
    // A notify action reaches the site's people through their preferences and the outbox (lib/notify),
    // keyed by automation and instant so a retried run does not notify twice.
    const onNotice = (n: AutomationNotice) => {
      const draft = { source: 'message' as const, sourceId: `automation:${n.automationId}:${n.at}`, alertId: null, site: n.site, severity: 'info' as const, anySeverity: true, title: `${n.site}: ${n.name}`.slice(0, 200), body: n.message, at: n.at };
      database
        .ready()
        .then((pool) => enqueueNotifications(pool, [draft]))
        .catch((err: Error) => node.warn(`automation '${n.name}': notification not queued: ${err.message}`));
    };
    automation.on('notify', onNotice);
    // The last save on close needs the database even if its config node is closed first.
    const releaseDatabase = database.retain();
    const deactivate = runtime.registry.provide(service);
    service.on('save-error', (err: Error) => node.warn(`registry not saved (will retry): ${err.message}`));

    let closing = false;
    const starting = startWithRetry(() => service.start(), {
      retryMs: 5000,
      onStarted: () => {
        node.log(`device registry loaded: ${service.registry.size} devices`);
        if (closing) return;
        automation.start().then(
          () => {
            if (!closing) deactivateAutomation = runtime.automations.provide(automation);
            node.log(`automation: ${automation.engine.size} automations, ${automation.schedules.size} schedules, ${automation.scenes.size} scenes`);
          },
          (err: Error) => node.warn(`automation not started: ${err.message}`),
        );
      },
      onFailure: (err) => node.warn(`device registry waiting for the database: ${err.message}`),
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      starting.stop();
      deactivate();
      deactivateAutomation();
      unfollowAlerts();
      automation.off('notify', onNotice);
      const timer = setTimeout(done, 10000);
      automation
        .stop()
        .catch(() => undefined)
        .then(() => service.stop())
        .catch(() => undefined)
        .then(() => {
          releaseDatabase();
          return new Promise<void>((r) => publisher.end(false, {}, () => r()));
        })
        .then(() => {
          clearTimeout(timer);
          done();
        });
    });
  }

  RED.nodes.registerType('octopus-registry', OctopusRegistryNode);
};
