import type { MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { NodeAPI, NodeDef } from 'node-red';
import { registerApiRoutes } from '../../lib/api/routes';
import { activeAlertService } from '../../lib/alerts/alert-service';
import { activateAutomation } from '../../lib/automation/active-automation';
import { AutomationService } from '../../lib/automation/automation-service';
import { activateRegistry, activeRegistry } from '../../lib/registry/active-registry';
import { DEFAULT_HOUSE_LIMITS } from '../../lib/registry/house-limits';
import { RegistryService } from '../../lib/registry/registry-service';
import type { BrokerConfigNode } from '../octopus-broker/types';
import type { PostgresConfigNode } from '../octopus-postgres/types';
import type { RegistryConfigNode } from './types';

interface RegistryNodeDef extends NodeDef {
  database: string;
  broker: string;
  commandTimeoutS: string | number;
  staleAfterIntervals: string | number;
  offlineAfterIntervals: string | number;
  defaultIntervalS: string | number;
  /** Devices one site (house) may have; beyond it new devices are refused (`device-limit`). */
  maxDevicesPerSite?: string | number;
  /** Attributes one device may have; beyond it new attributes are refused (`attribute-limit`). */
  maxAttributesPerDevice?: string | number;
}

function numberIn(v: string | number | undefined, fallback: number, min: number, max: number, what: string): { value: number; problem?: string } {
  const n = v === '' || v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < min || n > max) return { value: fallback, problem: `${what} ${String(v)} is outside ${min}–${max}` };
  return { value: n };
}

export = function register(RED: NodeAPI): void {
  // The REST API lives as long as the runtime; it serves whichever registry is deployed.
  registerApiRoutes(RED.httpNode, activeRegistry, { onError: (err) => RED.log.error(`octopus API: ${err.stack ?? err.message}`) });

  function OctopusRegistryNode(this: RegistryConfigNode, def: RegistryNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.service = undefined;
    const db = RED.nodes.getNode(def.database) as PostgresConfigNode | null;
    const broker = RED.nodes.getNode(def.broker) as BrokerConfigNode | null;
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
    const automation = new AutomationService({ registry: service, database: () => database.ready(), alerts: activeAlertService });
    node.automation = automation;
    let deactivateAutomation = () => undefined as void;
    // The last save on close needs the database even if its config node is closed first.
    const releaseDatabase = database.retain();
    const deactivate = activateRegistry(service);
    service.on('save-error', (err: Error) => node.warn(`registry not saved (will retry): ${err.message}`));

    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const start = () => {
      service.start().then(
        () => {
          node.log(`device registry loaded: ${service.registry.size} devices`);
          if (stopped) return;
          automation.start().then(
            () => {
              if (!stopped) deactivateAutomation = activateAutomation(automation);
              node.log(`automation: ${automation.engine.size} automations, ${automation.schedules.size} schedules, ${automation.scenes.size} scenes`);
            },
            (err: Error) => node.warn(`automation not started: ${err.message}`),
          );
        },
        (err: Error) => {
          node.warn(`device registry waiting for the database: ${err.message}`);
          if (!stopped) retry = setTimeout(start, 5000);
        },
      );
    };
    start();

    node.on('close', (_removed: boolean, done: () => void) => {
      stopped = true;
      clearTimeout(retry);
      deactivate();
      deactivateAutomation();
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
