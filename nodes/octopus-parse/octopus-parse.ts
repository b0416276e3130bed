import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { messageAckOf } from '../../lib/delivery/message-ack';
import { registerStatsSource } from '../../lib/metrics/ingest-metrics';
import { ensureMetricsRoute } from '../../lib/metrics/metrics-route';
import { DEFAULT_MAX_PAYLOAD_BYTES, type ParseOptions, type ParseResult, type Reject } from '../../lib/model/reading';
import { parseMessage } from '../../lib/parser';
import { RateLimitedLog } from '../../lib/util/throttled-status';

interface ParseNodeDef extends NodeDef {
  maxPayloadBytes?: string | number;
}

/** What the parser node reads from an incoming message besides topic and payload. */
type ParseInput = NodeMessageInFlow & { octopusAck?: unknown; receivedAt?: unknown };

/** The MQTT maximum packet size: no payload can be larger. */
const MAX_LIMIT = 268435455;
const STATUS_INTERVAL_MS = 500;

interface ParseCounters {
  /** Messages received. */
  messages: number;
  /** Messages that gave at least one reading. */
  parsed: number;
  readings: number;
  rejected: Record<string, number>;
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

function parseLimit(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return DEFAULT_MAX_PAYLOAD_BYTES;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT ? n : undefined;
}

export = function register(RED: NodeAPI): void {
  ensureMetricsRoute(RED.httpNode);

  function OctopusParseNode(this: Node, def: ParseNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const limit = parseLimit(def.maxPayloadBytes);
    if (limit === undefined) {
      const problem = `max payload ${String(def.maxPayloadBytes)} is not a whole number of bytes in 1–${MAX_LIMIT}`;
      node.error(`octopus-parse: ${problem}`);
      node.status({ fill: 'red', shape: 'ring', text: problem });
      // Fail every message so a Catch node sees it; its ack is not released, so the broker keeps it.
      node.on('input', (_msg, _send, done) => done(new Error(`octopus-parse: ${problem}`)));
      return;
    }

    const counters: ParseCounters = { messages: 0, parsed: 0, readings: 0, rejected: {} };
    let rejectedTotal = 0;
    let rejectsSinceStatus = 0;
    let lastReject: Reject | undefined;
    const log = new RateLimitedLog((line) => node.warn(line));
    // Reused for every message: parseMessage reads it synchronously and keeps no reference.
    const options: ParseOptions = { maxPayloadBytes: limit, receivedAt: undefined };

    // The status is drawn by a timer at most every STATUS_INTERVAL_MS, never per message: status
    // updates go to every open editor. New rejects show red with the last reason until the next draw.
    let statusTimer: NodeJS.Timeout | undefined;
    let lastStatus = '';
    const drawStatus = () => {
      statusTimer = undefined;
      const counts = `${counters.readings} readings · ${rejectedTotal} rejected`;
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

    node.on('input', (msg, send, done) => {
      const m = msg as ParseInput;
      counters.messages++;
      const input = parserInput(m.payload);
      let result: ParseResult;
      if (typeof input === 'object' && !Buffer.isBuffer(input)) {
        result = { readings: [], rejects: [input] };
      } else {
        options.receivedAt = typeof m.receivedAt === 'number' ? m.receivedAt : undefined;
        result = parseMessage(typeof m.topic === 'string' ? m.topic : '', input, options);
      }
      const { readings, rejects } = result;

      let readingsMsg: NodeMessage | null = null;
      let rejectsMsg: NodeMessage | null = null;
      if (readings.length > 0) {
        counters.parsed++;
        counters.readings += readings.length;
        readingsMsg = { ...m, payload: readings };
      }
      if (rejects.length > 0) {
        for (const r of rejects) counters.rejected[r.code] = (counters.rejected[r.code] ?? 0) + 1;
        rejectedTotal += rejects.length;
        rejectsSinceStatus += rejects.length;
        const first = rejects[0];
        lastReject = first;
        // the original payload stays on msg.payload, for the dead letter
        rejectsMsg = { ...m, rejects, error: { code: first.code, message: first.reason } } as NodeMessage;
        const more = rejects.length > 1 ? ` (and ${rejects.length - 1} more in this message)` : '';
        log.write(`rejected ${JSON.stringify(String(m.topic ?? '').slice(0, 80))}: ${first.code}: ${first.reason}${more}`);
      }
      scheduleStatus();

      const ack = messageAckOf(m);
      if (readingsMsg && rejectsMsg) {
        // two messages now hold the broker acknowledgement; each holder releases its part
        ack?.retain();
      } else if (!readingsMsg && !rejectsMsg) {
        // cannot happen (the parser always answers), but never strand an ack
        ack?.release();
        done();
        return;
      }
      send([readingsMsg, rejectsMsg]);
      done();
    });

    const unregisterStats = registerStatsSource(node.id, () => ({
      parsed: counters.parsed,
      readings: counters.readings,
      rejected: counters.rejected,
    }));

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(statusTimer);
      statusTimer = undefined;
      unregisterStats();
      done();
    });
  }

  RED.nodes.registerType('octopus-parse', OctopusParseNode);
};
