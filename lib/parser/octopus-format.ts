/**
 * The plain Octopus format: topic `site/room/device/attribute` with a scalar or `{value, unit?, ts?}`
 * payload, or topic `site/room/device` with a JSON object of attributes.
 *
 * Pure and synchronous, no Node-RED import. It is on the hot path (every MQTT message), so:
 *  - the topic is checked in one charCodeAt pass, nothing is split;
 *  - a plain numeric payload is recognised by a hand-written scanner, never by JSON.parse or a regex;
 *  - JSON.parse runs only when the payload starts with `{` or `[`, or is wrapped in `"…"`;
 *  - regular expressions are compiled once, at module load, and used only off the common path;
 *  - rejects are reported as values, never thrown.
 *
 * Decisions (stable: tests and dashboards rely on them):
 *  - Booleans: only `true` / `false` (any letter case: `True`, `FALSE`) are booleans. `on`/`off`,
 *    `yes`/`no`, `open`/`closed` stay strings: whether `off` is a switch state or a mode name is
 *    the device's business, and keeping the text keeps what it said. `1`/`0` are numbers.
 *  - Numbers: plain decimal syntax only (`21.5`, `-3`, `+4`, `.5`, `1e3`, leading zeros allowed).
 *    `0x1F`, `1_000` and `21,5` are not numbers and are kept as text.
 *  - `NaN`, `Infinity`, `inf` (any case, any sign) and numbers beyond the double range (`1e999`)
 *    are refused as `value-not-finite`, as plain payloads and as JSON strings alike; `{"value": NaN}`
 *    is not JSON at all and is refused as `payload-invalid-json`, with a hint.
 *  - JSON strings are strings: `{"value":"21.5"}` is the text "21.5". An empty string and the text
 *    `null`/JSON null are refused (`value-invalid`), as is text holding U+0000 (PostgreSQL text
 *    cannot store it).
 *  - Device timestamps (`ts`, else `timestamp`, else `time`): ISO-8601 with a time zone (`Z` or an
 *    offset; without one the instant is unknown), or epoch numbers (also as digit strings):
 *    below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, below 1e20 nanoseconds.
 *    The result must lie between 2000-01-01 and one day after the receive time, else the clock is
 *    wrong (unset RTC, wrong unit). An invalid or null timestamp is refused, never replaced by the
 *    receive time. Times are rounded to the millisecond.
 *  - Reserved keys: in an object on site/room/device, `ts`/`timestamp`/`time` are the common
 *    timestamp, not attributes; `value` means the attribute level is missing (`topic-depth`); a
 *    top-level `unit` is refused for itself (ambiguous) while the other attributes come through.
 *    Extra keys in a `{value, unit, ts}` object are ignored.
 */
import type { ParseResult, ReadingValue, Reject } from '../model/reading';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../model/reading';
import { multiFromObject, singleFromObject } from './octopus-objects';
import { decodePayload, depthReject, isReject, isShape, parseJson, reading, refused, reject, scanTopic, show, threeLevelsNeedObject } from './parse-kit';
import { isPlainObject, scalarFromText, textValue } from './parse-values';

/** Parses one message in the Octopus format. Never throws for any string topic and Buffer/string payload. */
export function parseOctopusMessage(topic: string, payload: Buffer | string, maxPayloadBytes?: number, receivedAt?: number): ParseResult {
  if (typeof topic !== 'string') return refused(reject('topic-empty', `the message has no topic (got ${topic === null ? 'null' : typeof topic}); publish on site/room/device/attribute`));
  const shape = scanTopic(topic);
  if (!isShape(shape)) return refused(shape);
  if (shape.depth !== 3 && shape.depth !== 4) return refused(depthReject(topic, shape.depth));

  const limit = typeof maxPayloadBytes === 'number' && maxPayloadBytes > 0 ? maxPayloadBytes : DEFAULT_MAX_PAYLOAD_BYTES;
  const decoded = decodePayload(payload, limit);
  if (typeof decoded !== 'string') return refused(decoded);
  const text = decoded.trim(); // also drops a UTF-8 byte order mark (U+FEFF)
  if (text.length === 0) return refused(reject('payload-empty', 'the payload holds only whitespace; publish a number, true/false, text or JSON'));

  const now = typeof receivedAt === 'number' && Number.isFinite(receivedAt) ? receivedAt : Date.now();
  const c0 = text.charCodeAt(0);

  if (c0 === 0x7b /* { */ || c0 === 0x5b /* [ */) {
    const json = parseJson(text);
    if (!json.ok) return refused(json.reject);
    const v = json.value;
    if (isPlainObject(v)) {
      return shape.depth === 4 ? singleFromObject(topic, shape, v, now) : multiFromObject(topic, shape, v, now);
    }
    if (shape.depth === 3) return refused(threeLevelsNeedObject(topic));
    return refused(reject('value-invalid', `a JSON array is not a reading value: ${show(text)}; publish one value per attribute topic, or a JSON object of attributes on site/room/device`));
  }

  if (shape.depth === 3) {
    // A quoted string or a scalar cannot name its attribute: the topic is one level short.
    return refused(threeLevelsNeedObject(topic));
  }

  let value: ReadingValue | Reject;
  if (c0 === 0x22 /* " */ && text.length >= 2 && text.charCodeAt(text.length - 1) === 0x22) {
    const json = parseJson(text);
    if (!json.ok) return refused(json.reject);
    value = typeof json.value === 'string' ? textValue(json.value, 'the payload') : reject('value-invalid', `unexpected JSON payload ${show(text)}`);
  } else {
    value = scalarFromText(text);
  }
  if (isReject(value)) return refused(value);
  return {
    readings: [reading(topic, shape, topic.slice(shape.s3 + 1), value, undefined, now, false)],
    rejects: [],
  };
}
