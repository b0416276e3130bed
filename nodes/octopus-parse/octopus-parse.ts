import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { octopusRuntime } from '../octopus-runtime';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import type { ParseNodeConfig } from '../../lib/node-config/node-schemas';
import { messageAckOf } from '../../lib/ingest/3-message-ack';
import { ReadingBatchBuilder } from '../../lib/ingest/5-reading-batch';
import { type DeviceEvent, type ParseOptions, type ParseResult, type Reading, type Reject } from '../../lib/model/reading';
import { createProfileContext, DEFAULT_MAX_LEVEL_BYTES, parseMessage, rejectTotal } from '../../lib/parser';
import { boundRejects } from '../../lib/parser/bounds';
import { MAX_PAYLOAD_LIMIT as MAX_LIMIT, parseLimit, parseProfiles, topicOptionsOf } from '../../lib/parser/parse-config';
import { RecentMessages } from '../../lib/parser/recent-messages';
import { applyHouseLimits, DEFAULT_HOUSE_LIMITS, HouseLimits } from '../../lib/registry/house-limits';
import { RateLimitedLog } from '../../lib/util/throttled-status';

/** What the parser node reads from an incoming message besides topic and payload. */
type ParseInput = NodeMessageInFlow & { octopusAck?: unknown; receivedAt?: unknown };

const STATUS_INTERVAL_MS = 500;

interface ParseCounters {
  /** Messages received. */
  messages: number;
  /** Messages that gave at least one reading. */
  parsed: number;
  readings: number;
  rejected: Record<string, number>;
  /** Device events sent on output 3, by kind. */
  events: Record<DeviceEvent['kind'], number>;
  /** Messages passed over as not telemetry (a Zigbee2MQTT log line, a Homie broadcast). */
  ignored: number;
}

/** The payload as the parser takes it: numbers and booleans become their text, objects their JSON. */
function parserInput(payload: unknown): Buffer | string | Reject {
  if (Buffer.isBuffer(payload) || typeof payload === 'string') return payload;
  if (typeof payload === 'number' || typeof payload === 'boolean' || typeof payload === 'bigint') return String(payload);
  if (payload === null || payload === undefined) return '';
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (typeof payload === 'object') {
    // an upstream node (a json node, a function) already parsed it
    try {
      const json = JSON.stringify(payload);
      if (typeof json === 'string') return json;
    } catch {
      // cycles or BigInt: refused below
    }
    return { code: 'value-invalid', reason: 'msg.payload is an object that cannot be written as JSON (a cycle or a BigInt); send a Buffer, text or plain JSON' };
  }
  // a function or a symbol: the parser refuses it with the type in the reason
  return payload as string;
}

/** The events of a result, in one list for output 3. */
function eventsOf(r: ParseResult): DeviceEvent[] {
  const events: DeviceEvent[] = [];
  if (r.availability) events.push(...r.availability);
  if (r.devices) events.push(...r.devices);
  if (r.deletions) events.push(...r.deletions);
  if (r.commands) events.push(...r.commands);
  return events;
}

/** The house bounds (level length, devices per site, attributes per device), or the problem with them. */
function parseBounds(def: ParseNodeConfig): { maxLevelBytes: number; limits: HouseLimits } | string {
  const level = parseLimit(def.maxLevelBytes, DEFAULT_MAX_LEVEL_BYTES, 65535);
  if (level === undefined) return `max level ${String(def.maxLevelBytes)} is not a whole number of bytes in 1–65535`;
  const devices = parseLimit(def.maxDevicesPerSite, DEFAULT_HOUSE_LIMITS.maxDevicesPerSite, 1_000_000);
  if (devices === undefined) return `max devices per site ${String(def.maxDevicesPerSite)} is not a whole number in 1–1000000`;
  const attributes = parseLimit(def.maxAttributesPerDevice, DEFAULT_HOUSE_LIMITS.maxAttributesPerDevice, 100_000);
  if (attributes === undefined) return `max attributes per device ${String(def.maxAttributesPerDevice)} is not a whole number in 1–100000`;
  return { maxLevelBytes: level, limits: new HouseLimits({ maxDevicesPerSite: devices, maxAttributesPerDevice: attributes }) };
}

export = function register(RED: NodeAPI): void {
  // The Octopus routes (/metrics among them) exist from the moment the pack loads.
  const runtime = octopusRuntime(RED);

  function OctopusParseNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-parse', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-parse', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const limit = parseLimit(def.maxPayloadBytes);
    const profiles = parseProfiles(def.profiles);
    const bounds = parseBounds(def);
    const topics = topicOptionsOf(def);
    if (limit === undefined || typeof profiles === 'string' || typeof bounds === 'string' || typeof topics === 'string') {
      const problem =
        limit === undefined
          ? `max payload ${String(def.maxPayloadBytes)} is not a whole number of bytes in 1–${MAX_LIMIT}`
          : typeof profiles === 'string'
            ? `profiles: ${profiles}`
            : typeof bounds === 'string'
              ? bounds
              : String(topics);
      // Every message fails so a Catch node sees it; its ack is not released, so the broker keeps it.
      return refuseConfig(node, 'octopus-parse', problem);
    }

    const counters: ParseCounters = { messages: 0, parsed: 0, readings: 0, rejected: {}, events: { availability: 0, device: 0, deletion: 0, command: 0 }, ignored: 0 };
    let eventsTotal = 0;
    let rejectedTotal = 0;
    let rejectsSinceStatus = 0;
    let lastReject: Reject | undefined;
    const log = new RateLimitedLog((line) => node.warn(line));
    // Reused for every message: parseMessage reads it synchronously and keeps no reference. The
    // context holds what the stateful profiles learned (Home Assistant discovery, Homie units):
    // one per node, so that two parse nodes on different brokers do not mix their devices.
    const options: ParseOptions = {
      maxPayloadBytes: limit,
      receivedAt: undefined,
      profiles,
      defaultSite: typeof def.site === 'string' && def.site.trim() !== '' ? def.site.trim() : 'home',
      maxLevelBytes: bounds.maxLevelBytes,
      context: createProfileContext(),
      ...topics,
    };
    // The last messages seen, for the editor's "try a message" panel (operators only, in memory).
    const recent = new RecentMessages();
    runtime.recentMessages.set(node.id, recent);
    // Devices per site and attributes per device (issue #15): checked here, before the store, the
    // registry, the live model and the alerts see a reading; what crosses a bound is a reject.
    const limits = bounds.limits;

    // The status is drawn by a timer at most every STATUS_INTERVAL_MS, never per message: status
    // updates go to every open editor. New rejects show red with the last reason until the next draw.
    let statusTimer: NodeJS.Timeout | undefined;
    let lastStatus = '';
    const drawStatus = () => {
      statusTimer = undefined;
      let counts = `${counters.readings} readings · ${rejectedTotal} rejected`;
      if (eventsTotal > 0) counts += ` · ${eventsTotal} events`;
      if (counters.ignored > 0) counts += ` · ${counters.ignored} ignored`;
      let s: { fill: 'green' | 'red'; shape: 'dot' | 'ring'; text: string };
      if (rejectsSinceStatus > 0 && lastReject) {
        const reason = lastReject.reason.length > 60 ? `${lastReject.reason.slice(0, 60)}…` : lastReject.reason;
        s = { fill: 'red', shape: 'ring', text: `${counts} · last: ${lastReject.code}: ${reason}` };
        rejectsSinceStatus = 0;
        scheduleStatus(); // back to green after a quiet interval
      } else {
        s = { fill: 'green', shape: 'dot', text: counts };
      }
      const key = `${s.fill}|${s.text}`;
      if (key === lastStatus) return;
      lastStatus = key;
      node.status(s);
    };
    const scheduleStatus = () => {
      if (!statusTimer) statusTimer = setTimeout(drawStatus, STATUS_INTERVAL_MS);
    };

    /** Parses one MQTT message's topic and payload, counting what it gave. */
    const parseOne = (topic: unknown, payload: unknown, receivedAt: unknown): ParseResult => {
      counters.messages++;
      recent.add(topic, payload, typeof receivedAt === 'number' ? receivedAt : Date.now());
      const input = parserInput(payload);
      let result: ParseResult;
      if (typeof input === 'object' && !Buffer.isBuffer(input)) {
        result = { readings: [], rejects: [input] };
      } else {
        options.receivedAt = typeof receivedAt === 'number' ? receivedAt : undefined;
        result = parseMessage(typeof topic === 'string' ? topic : '', input, options);
        if (applyHouseLimits(result, limits) > 0) boundRejects(result);
      }
      if (result.readings.length > 0) {
        counters.parsed++;
        counters.readings += result.readings.length;
      }
      if (result.rejects.length > 0) {
        for (const r of result.rejects) counters.rejected[r.code] = (counters.rejected[r.code] ?? 0) + 1;
        // beyond MAX_REJECTS_PER_MESSAGE the parser counts rejects instead of listing them
        for (const [code, n] of Object.entries(result.omittedRejects ?? {})) counters.rejected[code] = (counters.rejected[code] ?? 0) + (n ?? 0);
        const count = rejectTotal(result);
        rejectedTotal += count;
        rejectsSinceStatus += count;
        const first = result.rejects[0];
        lastReject = first;
        const more = count > 1 ? ` (and ${count - 1} more in this message)` : '';
        log.write(`rejected ${JSON.stringify(String(topic ?? '').slice(0, 80))}: ${first.code}: ${first.reason}${more}`);
        // A newly added device's page shows why its message was refused (lib/onboarding).
        if (typeof topic === 'string') runtime.recentRejects.note(topic, first.code, first.reason);
      }
      return result;
    };

    // Output 1 carries a ReadingBatch per profile (lib/ingest/5-reading-batch.ts): columns Node-RED
    // clones at memcpy cost on the four wires, which octopus-store hands to Postgres as they are.
    // One builder per profile, reused: finish() hands its columns over and starts again.
    const builders = new Map<string, ReadingBatchBuilder>();
    const addReadings = (profile: string, readings: readonly Reading[], seen: string[]) => {
      let b = builders.get(profile);
      if (!b) builders.set(profile, (b = new ReadingBatchBuilder(256)));
      if (b.length === 0) seen.push(profile);
      for (const r of readings) b.add(r);
    };

    node.on('input', (msg, send, done) => {
      const m = msg as ParseInput & { octopusGroup?: unknown };
      // A group (octopus-mqtt-in's "group messages") carries many MQTT messages in one Node-RED
      // message: the flow's per-message overhead is paid once per group.
      type Raw = { topic?: unknown; payload?: unknown; receivedAt?: unknown };
      const raws: Raw[] = m.octopusGroup === true && Array.isArray(m.payload) ? (m.payload as Raw[]) : [m];
      const base: Record<string, unknown> = { ...m };
      delete base.octopusGroup;
      // readings left in a builder by a message that failed half way belong to no message now
      for (const b of builders.values()) if (b.length > 0) b.finish();

      // readings by profile (a registry needs to know which dialect a device speaks), by column
      const profilesSeen: string[] = [];
      const rejectMsgs: NodeMessage[] = [];
      const events: DeviceEvent[] = [];
      let ignored = 0;
      for (const raw of raws) {
        const result = parseOne(raw.topic, raw.payload, raw.receivedAt);
        if (result.readings.length > 0) addReadings(result.profile ?? 'octopus', result.readings, profilesSeen);
        if (result.rejects.length > 0) {
          const first = result.rejects[0];
          // the original topic and payload travel with the reasons, for the dead letter
          // (one message however many values it refused: the store makes it one bounded dead letter)
          rejectMsgs.push({
            ...base,
            topic: raw.topic,
            payload: raw.payload,
            rejects: result.rejects,
            omittedRejects: result.omittedRejects,
            error: { code: first.code, message: first.reason },
          } as NodeMessage);
        }
        for (const e of eventsOf(result)) {
          counters.events[e.kind]++;
          eventsTotal++;
          events.push(e);
        }
        if (result.ignored !== undefined && result.readings.length === 0 && result.rejects.length === 0 && eventsOf(result).length === 0) ignored++;
      }
      counters.ignored += ignored;
      scheduleStatus();

      const readingsMsgs: NodeMessage[] = [];
      for (const profile of profilesSeen) readingsMsgs.push({ ...base, payload: (builders.get(profile) as ReadingBatchBuilder).finish(), profile } as NodeMessage);
      let eventsMsg: NodeMessage | null = null;
      if (events.length > 0) {
        // No octopusAck on this message: nothing downstream stores events yet, so this part of the
        // acknowledgement is released here (below), and a node wired to output 3 cannot release it twice.
        const copy = { ...base };
        delete copy.octopusAck;
        eventsMsg = { ...copy, payload: events, profile: events[0].profile } as NodeMessage;
      }

      const ack = messageAckOf(m);
      const holders = readingsMsgs.length + rejectMsgs.length + (eventsMsg ? 1 : 0);
      if (holders === 0) {
        // ignored (not telemetry), or, impossibly, no answer at all: never strand an ack
        ack?.release();
        done();
        return;
      }
      // every message sent holds a part of the broker acknowledgement; each holder releases its part
      for (let i = 1; i < holders; i++) ack?.retain();
      send([readingsMsgs.length > 0 ? readingsMsgs : null, rejectMsgs.length > 0 ? rejectMsgs : null, eventsMsg] as unknown as NodeMessage[]);
      // Events are informational until a device registry consumes output 3: their part is released
      // once sent. Readings and rejects are released by the store (committed or dead-lettered).
      if (eventsMsg) ack?.release();
      done();
    });

    const unregisterStats = runtime.metrics.registerStatsSource(node.id, () => ({
      parsed: counters.parsed,
      readings: counters.readings,
      rejected: counters.rejected,
    }));

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(statusTimer);
      statusTimer = undefined;
      unregisterStats();
      if (runtime.recentMessages.get(node.id) === recent) runtime.recentMessages.delete(node.id);
      done();
    });
  }

  RED.nodes.registerType('octopus-parse', OctopusParseNode);
};
