/**
 * The parser entry: turns one MQTT message (topic + payload) into readings and rejects.
 * Pure: no Node-RED import, usable from any flow, script or test.
 */
import type { ParseOptions, ParseResult } from '../model/reading';
import { parseOctopusMessage, reject } from './octopus-format';

export { MAX_DEVICE_TS_AHEAD_MS, MIN_DEVICE_TS } from './octopus-format';

/**
 * Parses one message. Never throws: whatever the input, the result has at least one reading or
 * at least one reject (with a reason an operator can act on), never neither.
 *
 * @param topic   `site/room/device/attribute`, or `site/room/device` for a JSON object of attributes
 * @param payload the raw MQTT payload (a Buffer, as mqtt.js gives it) or its text
 * @param options `maxPayloadBytes` (default DEFAULT_MAX_PAYLOAD_BYTES), `receivedAt` (epoch ms, default now)
 */
export function parseMessage(topic: string, payload: Buffer | string, options?: ParseOptions): ParseResult {
  try {
    const result = parseOctopusMessage(topic, payload, options?.maxPayloadBytes, options?.receivedAt);
    if (result.readings.length === 0 && result.rejects.length === 0) {
      result.rejects.push(reject('parser-error', 'the parser found neither a reading nor a problem in this message (a bug); it is refused so that it is not lost silently'));
    }
    return result;
  } catch (err) {
    // The last resort, not the design: every expected problem is a reject value above.
    const detail = err instanceof Error ? err.message : String(err);
    return {
      readings: [],
      rejects: [reject('parser-error', `the parser failed on this message (a bug; please report it with the payload): ${JSON.stringify(detail.slice(0, 80))}`)],
    };
  }
}
