import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { octopusRuntime } from '../octopus-runtime';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { eventDeviceView } from '../../lib/api/views';
import { isReading, type DeviceEvent, type ProfileName, type Reading } from '../../lib/model/reading';
import { isReadingBatch } from '../../lib/ingest/5-reading-batch';
import type { RegistryEvent } from '../../lib/registry/device-registry';
import { RateLimitedLog, ThrottledStatus } from '../../lib/util/throttled-status';
import type { RegistryConfigNode } from '../octopus-registry/types';

const EVENT_TYPES = new Set(['device-added', 'attribute-added', 'online', 'stale', 'offline', 'metadata-changed', 'device-removed']);

function isDeviceEvent(x: unknown): x is DeviceEvent {
  const k = (x as { kind?: unknown })?.kind;
  return k === 'availability' || k === 'device' || k === 'deletion' || k === 'command';
}

export = function register(RED: NodeAPI): void {
  const runtime = octopusRuntime(RED);
  function OctopusDevicesNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-devices', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-devices', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const config = RED.nodes.getNode(def.registry ?? '') as RegistryConfigNode | null;
    const service = config?.service;
    if (!service) {
      return refuseConfig(node, 'octopus-devices', (config && config.problem) || 'no device registry configured');
    }
    const wanted = new Set((def.events || [...EVENT_TYPES].join(',')).split(',').map((s) => s.trim()).filter((s) => EVENT_TYPES.has(s)));
    const log = new RateLimitedLog((line) => node.warn(line));
    const status = new ThrottledStatus((s) => node.status(s), 1000);

    const onEvent = (e: RegistryEvent) => {
      if (!wanted.has(e.type)) return;
      const d = service.registry.get(e.deviceId);
      node.send({
        topic: `${e.type}/${e.deviceId}`,
        payload: {
          ...e,
          device: d && eventDeviceView(d),
        },
      });
    };
    service.on('event', onEvent);
    // Readings and events the registry refused by its limits per house (device-limit, attribute-limit):
    // counted on /metrics with the parser's rejects. Only this node's share: the counts since it started.
    const refusedAtStart = { ...service.registry.refused };
    const refusedHere = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [code, n] of Object.entries(service.registry.refused)) out[code] = n - (refusedAtStart[code] ?? 0);
      return out;
    };
    const unregisterStats = runtime.metrics.registerStatsSource(node.id, () => ({ rejected: refusedHere() }));

    const refresh = setInterval(() => {
      let online = 0;
      let stale = 0;
      let offline = 0;
      for (const d of service.registry.all()) {
        if (d.state === 'online') online++;
        else if (d.state === 'stale') stale++;
        else offline++;
      }
      const err = service.lastSaveError ? ` · not saved: ${service.lastSaveError}` : '';
      const refused = Object.values(refusedHere()).reduce((a, b) => a + b, 0);
      const last = service.registry.lastRefusal;
      const limit = refused > 0 && last ? ` · ${refused} refused (last: ${last.code}: ${last.reason.slice(0, 60)})` : '';
      const fill = err || limit ? 'red' : stale + offline > 0 ? 'yellow' : 'green';
      status.set({ fill, shape: 'dot', text: `${online} online · ${stale} stale · ${offline} offline${limit}${err}` });
    }, 2000);

    node.on('input', (msg: NodeMessageInFlow, _send, done) => {
      // octopus-parse's columnar batch gives plain readings; a list or a single object is read as is
      const items: unknown[] = isReadingBatch(msg.payload) ? msg.payload.readings() : Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      const readings: Reading[] = [];
      const events: DeviceEvent[] = [];
      for (const x of items) {
        if (isReading(x)) readings.push(x);
        else if (isDeviceEvent(x)) events.push(x);
        else log.write('octopus-devices takes readings (octopus-parse output 1) or device events (output 3); ignored something else');
      }
      const profile = (msg as { profile?: unknown }).profile;
      if (readings.length > 0) service.observeReadings(readings, typeof profile === 'string' ? (profile as ProfileName) : undefined);
      if (events.length > 0) service.observeDeviceEvents(events);
      done();
    });

    node.on('close', () => {
      unregisterStats();
      clearInterval(refresh);
      status.close();
      service.off('event', onEvent);
    });
  }

  RED.nodes.registerType('octopus-devices', OctopusDevicesNode);
};
