import type { MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { NodeAPI, NodeDef } from 'node-red';
import { DEFAULT_HOUSE_LIMITS } from '../../lib/registry/house-limits';
import { RegistryService } from '../../lib/registry/registry-service';
import type { BrokerConfigNode } from '../octopus-broker/types';
import { octopusRuntime } from '../octopus-runtime';
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
  // The REST API is the runtime's; it serves the first registry deployed and still running.
  const runtime = octopusRuntime(RED);

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
    // The last save on close needs the database even if its config node is closed first.
    const releaseDatabase = database.retain();
    const deactivate = runtime.registry.provide(service);
    service.on('save-error', (err: Error) => node.warn(`registry not saved (will retry): ${err.message}`));

    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const start = () => {
      service.start().then(
        () => node.log(`device registry loaded: ${service.registry.size} devices`),
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
      const timer = setTimeout(done, 10000);
      service
        .stop()
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
