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
import { isUtf8 } from 'node:buffer';
import type { ParseResult, Reading, ReadingValue, Reject, RejectCode } from '../model/reading';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../model/reading';
import { multiFromObject, singleFromObject } from './octopus-objects';

/** Earliest device timestamp accepted (2000-01-01T00:00:00Z): anything before is a clock that was never set. */
export const MIN_DEVICE_TS = 946684800000;
/** How far ahead of the receive time a device timestamp may be (clock skew, time zone mistakes). */
export const MAX_DEVICE_TS_AHEAD_MS = 24 * 3600 * 1000;
/** Longest echo of the offending text in a reason. */
const ECHO_MAX = 80;
/** Payloads up to this many bytes are tried as plain ASCII first (see decodePayload). */
const SHORT_ASCII_MAX = 24;

const LEVEL_NAMES = ['site', 'room', 'device', 'attribute'];
const TIMESTAMP_KEYS = ['ts', 'timestamp', 'time'] as const;
const NON_FINITE_WORDS = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const ISO_TIME_NO_ZONE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?$/;
const EPOCH_DIGITS = /^\d+(?:\.\d+)?$/;
const JSON_NON_FINITE = /\b(?:NaN|Infinity)\b/;
const JSON_ERROR_ECHO = /^(Unexpected token .+?), ".*" is not valid JSON$/s;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;
const DEL_AND_C1 = /[\u007f-\u009f]/g;

/** Where the slashes of a valid topic are; s3 is -1 for a 3-level topic. */
export interface TopicShape {
  depth: number;
  s1: number;
  s2: number;
  s3: number;
}

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

// ---------------------------------------------------------------------------------------------
// topic

/**
 * How topic problems are worded: level names and what a valid topic looks like. The Octopus format
 * names its four levels; firmware profiles number theirs and name their own dialect.
 */
export interface TopicStyle {
  /** Names of the first levels, for "level 2 (room)"; later levels are numbered only. */
  levelNames: readonly string[];
  /** Ends the wildcard reason, e.g. "publish on a concrete site/room/device/attribute". */
  wildcardAdvice: string;
  /** Ends the empty-level reason, e.g. "every level of site/room/device/attribute needs a name". */
  emptyLevelAdvice: string;
  /** Ends the empty-topic reason. */
  emptyTopicAdvice: string;
}

const OCTOPUS_STYLE: TopicStyle = {
  levelNames: LEVEL_NAMES,
  wildcardAdvice: 'wildcards belong in subscriptions, publish on a concrete site/room/device/attribute',
  emptyLevelAdvice: 'every level of site/room/device/attribute needs a name',
  emptyTopicAdvice: 'publish on site/room/device/attribute',
};

/**
 * One pass over the topic: the first problem by position, else where the slashes are (`s1`–`s3`
 * for the first three). Exported for the firmware profiles, which check topics by the same rules.
 */
export function scanTopic(topic: string, style: TopicStyle = OCTOPUS_STYLE): TopicShape | Reject {
  const n = topic.length;
  if (n === 0) return reject('topic-empty', `the message has an empty topic; ${style.emptyTopicAdvice}`);
  let depth = 1;
  let levelStart = 0;
  let s1 = -1;
  let s2 = -1;
  let s3 = -1;
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c > 0x2f && c < 0x7f) continue; // digits, letters, most punctuation: the common case
    if (c === 0x2f /* / */) {
      if (i === levelStart) return emptyLevelReject(topic, depth, i === 0 ? ': leading /' : ': two / in a row', style);
      if (depth === 1) s1 = i;
      else if (depth === 2) s2 = i;
      else if (depth === 3) s3 = i;
      depth++;
      levelStart = i + 1;
    } else if (c === 0x2b /* + */ || c === 0x23 /* # */) {
      return reject(
        'topic-wildcard',
        `topic ${show(topic)} contains the wildcard "${String.fromCharCode(c)}" in level ${levelLabel(depth, style)}; ${style.wildcardAdvice}`,
      );
    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffd || isLoneSurrogate(topic, i, c)) {
      return reject('topic-invalid-char', `topic ${show(topic)} contains ${charLabel(c)} in level ${levelLabel(depth, style)}; ${charAdvice(c)}`);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      i++; // a valid surrogate pair (isLoneSurrogate said so): skip its second half
    }
  }
  if (levelStart === n) return emptyLevelReject(topic, depth, ': trailing /', style);
  return { depth, s1, s2, s3 };
}

function isShape(x: TopicShape | Reject): x is TopicShape {
  return (x as TopicShape).depth !== undefined;
}

function emptyLevelReject(topic: string, level: number, where: string, style: TopicStyle): Reject {
  return reject('topic-empty-level', `topic ${show(topic)} has an empty level ${levelLabel(level, style)}${where}; ${style.emptyLevelAdvice}`);
}

function depthReject(topic: string, depth: number): Reject {
  return reject(
    'topic-depth',
    `topic ${show(topic)} has ${depth} level${depth === 1 ? '' : 's'}; expected 4 (site/room/device/attribute), or 3 (site/room/device) with a JSON object of attributes`,
  );
}

function threeLevelsNeedObject(topic: string): Reject {
  return reject(
    'topic-depth',
    `topic ${show(topic)} has 3 levels (site/room/device), which needs a JSON object of attributes such as {"temperature":21.5}; expected 4 levels (site/room/device/attribute) for a single value`,
  );
}

function levelLabel(level: number, style: TopicStyle): string {
  return level <= style.levelNames.length ? `${level} (${style.levelNames[level - 1]})` : String(level);
}

// ---------------------------------------------------------------------------------------------
// payload

/** Checks size (before decoding), emptiness and UTF-8; returns the text or the reject. */
export function decodePayload(payload: unknown, limit: number): string | Reject {
  if (Buffer.isBuffer(payload)) {
    const len = payload.length;
    if (len === 0) return emptyPayload();
    if (len > limit) return tooLarge(len, limit);
    if (len <= SHORT_ASCII_MAX) {
      // The common case, a short number such as "21.5": building the string by hand is about twice
      // as fast as isUtf8() + toString() for a few bytes. Any non-ASCII byte takes the general path.
      let s = '';
      let i = 0;
      for (; i < len; i++) {
        const b = payload[i];
        if (b > 0x7f) break;
        s += String.fromCharCode(b);
      }
      if (i === len) return s;
    }
    if (!isUtf8(payload)) {
      return reject(
        'payload-not-utf8',
        `the payload (${len} bytes) is not valid UTF-8, starting ${hexPreview(payload)}; publish numbers, text or JSON encoded as UTF-8`,
      );
    }
    return payload.toString('utf8');
  }
  if (typeof payload === 'string') {
    const n = payload.length;
    if (n === 0) return emptyPayload();
    // A UTF-16 code unit takes 1–3 UTF-8 bytes: count exactly only when the bounds do not decide.
    if (n > limit) return tooLarge(Buffer.byteLength(payload, 'utf8'), limit);
    if (n * 3 > limit) {
      const bytes = Buffer.byteLength(payload, 'utf8');
      if (bytes > limit) return tooLarge(bytes, limit);
    }
    const bad = firstLoneSurrogate(payload);
    if (bad >= 0) {
      return reject('payload-not-utf8', `the payload text has an unpaired UTF-16 surrogate at character ${bad}, which has no UTF-8 encoding: ${show(payload)}`);
    }
    return payload;
  }
  if (payload instanceof Uint8Array) {
    return decodePayload(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), limit);
  }
  if (payload === null || payload === undefined) return emptyPayload();
  return reject('value-invalid', `the payload must be a Buffer or a string, not ${typeof payload}`);
}

function emptyPayload(): Reject {
  return reject('payload-empty', 'the payload is empty (an empty retained message deletes the retained value; it is not a reading)');
}

function tooLarge(bytes: number, limit: number): Reject {
  return reject('payload-too-large', `the payload has ${bytes} bytes, more than the limit of ${limit}; split it into several messages or raise the limit`);
}

export type JsonOutcome = { ok: true; value: unknown } | { ok: false; reject: Reject };

/**
 * Deepest JSON nesting the parser reads. No reading needs more, and 10 000 levels (50 KB, under the
 * payload limit) made the code after JSON.parse (JSON.stringify in a reason, the profiles'
 * walks) overflow the stack: a `parser-error` for what is only a hostile payload (issue #15).
 */
export const MAX_JSON_NESTING = 64;

/** Whether `text` opens more than `max` arrays/objects at once (outside strings). One pass; nothing for short texts. */
function nestedDeeperThan(text: string, max: number): boolean {
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** JSON.parse, with the failure turned into a reject an operator can act on. */
export function parseJson(text: string): JsonOutcome {
  if (nestedDeeperThan(text, MAX_JSON_NESTING)) {
    return {
      ok: false,
      reject: reject('payload-invalid-json', `the JSON is nested more than ${MAX_JSON_NESTING} objects or arrays deep; no reading needs that: ${show(text)}`),
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const hint = JSON_NON_FINITE.test(text) ? ' (JSON has no NaN or Infinity: leave the value out when the sensor has none)' : '';
    return {
      ok: false,
      reject: reject('payload-invalid-json', `the payload looks like JSON but is not valid: ${jsonErrorDetail(err)}${hint}: ${show(text)}`),
    };
  }
}

/** V8's JSON error message, without the echo of the input it may contain (it can hold control characters). */
function jsonErrorDetail(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = JSON_ERROR_ECHO.exec(message);
  return truncate((m ? m[1] : message).replace(CONTROL_CHARS, '?'), ECHO_MAX);
}

// ---------------------------------------------------------------------------------------------
// values

/** A plain (non-JSON) payload: number, boolean, refused non-finite, or text. */
function scalarFromText(text: string): ReadingValue | Reject {
  const c0 = text.charCodeAt(0);
  if ((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x2d || c0 === 0x2b || c0 === 0x2e) {
    if (isDecimal(text)) {
      const v = Number(text);
      if (!Number.isFinite(v)) return notFinite(text);
      return v === 0 ? 0 : v; // no -0
    }
  }
  const n = text.length;
  if (n === 4 || n === 5) {
    const lower = text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return textValue(text, 'the payload');
}

/** Decimal number syntax: [+-] digits [. digits] [e [+-] digits], at least one mantissa digit. */
export function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 0x30 && c <= 0x39) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 0x2e) {
    c = s.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
    let exp = 0;
    while (c >= 0x30 && c <= 0x39) {
      exp++;
      c = s.charCodeAt(++i);
    }
    if (exp === 0) return false;
  }
  return i === n;
}

export function isNonFiniteWord(s: string): boolean {
  return s.length <= 9 && NON_FINITE_WORDS.has(s.toLowerCase());
}

function notFinite(text: string, attribute?: string): Reject {
  return reject('value-not-finite', `${subject(attribute)} ${show(text)} is not a finite number; send a real measurement, or nothing when the sensor has none`, attribute);
}

/** A text value: refused when it spells a non-finite number, is empty, `null`, or cannot be stored. */
export function textValue(s: string, what: string, attribute?: string): string | Reject {
  if (s.length === 0) return reject('value-invalid', `${what} is an empty string; send a value, or nothing`, attribute);
  if (isNonFiniteWord(s.trim())) return notFinite(s, attribute);
  if (s === 'null') return reject('value-invalid', `${what} is null; send a number, true/false or text, or nothing when there is no value`, attribute);
  if (s.indexOf('\u0000') >= 0) return reject('value-invalid', `${what} contains a NUL character (U+0000), which PostgreSQL text cannot store: ${show(s)}`, attribute);
  const bad = firstLoneSurrogate(s);
  if (bad >= 0) return reject('value-invalid', `${what} has an unpaired UTF-16 surrogate at character ${bad}: ${show(s)}`, attribute);
  return s;
}

/** A value taken from JSON (`value` field or an attribute): number, boolean or text. */
export function jsonValue(v: unknown, attribute?: string): ReadingValue | Reject {
  switch (typeof v) {
    case 'number':
      // JSON.parse turns 1e999 into Infinity
      if (!Number.isFinite(v)) return notFinite(String(v), attribute);
      return v === 0 ? 0 : v;
    case 'boolean':
      return v;
    case 'string':
      return textValue(v, attribute === undefined ? 'the value' : `attribute ${show(attribute)}`, attribute);
    default:
      return reject('value-invalid', `${subject(attribute)} is ${describeJson(v)}; a value must be a number, true/false or text`, attribute);
  }
}

function subject(attribute: string | undefined): string {
  return attribute === undefined ? 'the value' : `the value of attribute ${show(attribute)}`;
}

/** `unit`: absent, null or empty means none; anything but text is refused. */
export function unitOf(obj: Record<string, unknown>, attribute?: string): string | undefined | Reject {
  const u = obj.unit;
  if (u === undefined || u === null) return undefined;
  if (typeof u !== 'string') {
    return reject('value-invalid', `the unit${attribute === undefined ? '' : ` of attribute ${show(attribute)}`} must be text such as "°C", not ${describeJson(u)}`, attribute);
  }
  const t = u.trim();
  if (t.length === 0) return undefined;
  if (t.indexOf('\u0000') >= 0 || firstLoneSurrogate(t) >= 0) {
    return reject('value-invalid', `the unit ${show(t)} contains a character that cannot be stored (NUL or an unpaired surrogate)`, attribute);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// timestamps

/** The device timestamp of an object (`ts`, else `timestamp`, else `time`): undefined when none, epoch ms, or a reject. */
export function deviceTimeOf(obj: Record<string, unknown>, now: number, attribute?: string): number | undefined | Reject {
  for (const key of TIMESTAMP_KEYS) {
    const raw = obj[key];
    if (raw !== undefined) return deviceTime(raw, key, now, attribute);
  }
  return undefined;
}

function deviceTime(raw: unknown, key: string, now: number, attribute?: string): number | Reject {
  let ms: number;
  if (typeof raw === 'number') {
    ms = epochToMs(raw);
  } else if (typeof raw === 'string') {
    const s = raw.trim();
    ms = EPOCH_DIGITS.test(s) ? epochToMs(Number(s)) : isoToMs(s);
    if (Number.isNaN(ms) && ISO_TIME_NO_ZONE.test(s)) {
      return tsReject(`${tsName(key, attribute)} ${show(raw)} has no time zone; add Z (UTC) or an offset such as +01:00`, attribute);
    }
  } else {
    return tsReject(
      `${tsName(key, attribute)} is ${describeJson(raw)}; send an ISO-8601 time such as "2026-11-23T10:00:00Z" or epoch seconds or milliseconds, or leave it out to use the receive time`,
      attribute,
    );
  }
  if (Number.isNaN(ms)) {
    return tsReject(
      `${tsName(key, attribute)} ${show(typeof raw === 'string' ? raw : String(raw))} is not a time; send an ISO-8601 time such as "2026-11-23T10:00:00Z" or epoch seconds or milliseconds`,
      attribute,
    );
  }
  if (ms < MIN_DEVICE_TS || ms > now + MAX_DEVICE_TS_AHEAD_MS) {
    const when = ms < MIN_DEVICE_TS ? 'before 2000' : 'more than a day ahead of the receive time';
    return tsReject(
      `${tsName(key, attribute)} ${show(typeof raw === 'string' ? raw : String(raw))} is ${new Date(ms).toISOString()}, ${when}; check the device clock and the unit (seconds or milliseconds)`,
      attribute,
    );
  }
  return ms;
}

function tsName(key: string, attribute: string | undefined): string {
  return attribute === undefined ? `timestamp ${key}` : `timestamp ${key} of attribute ${show(attribute)}`;
}

function tsReject(reason: string, attribute: string | undefined): Reject {
  return reject('timestamp-invalid', reason, attribute);
}

/** Epoch number to ms by magnitude: s < 1e11 ≤ ms < 1e14 ≤ µs < 1e17 ≤ ns < 1e20. NaN when unusable. */
export function epochToMs(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return NaN;
  if (x < 1e11) return Math.round(x * 1000);
  if (x < 1e14) return Math.round(x);
  if (x < 1e17) return Math.round(x / 1e3);
  if (x < 1e20) return Math.round(x / 1e6);
  return NaN;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** ISO-8601 date-time with a zone, checked field by field (Date.parse guesses, and reads zone-less times as local). */
export function isoToMs(s: string): number {
  const m = ISO_TIME.exec(s);
  if (!m) return NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]) return NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return NaN;
  if (hour > 23 || minute > 59 || second > 60) return NaN; // 60: a leap second
  let offset = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return NaN;
    offset = (oh * 60 + om) * 60000 * (m[9] === '-' ? -1 : 1);
  }
  return Math.round(Date.UTC(year, month - 1, day, hour, minute, second) + millis) - offset;
}

/** Why a JSON key cannot be an attribute name (the same rules as a topic level), or undefined. */
export function attributeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x2f && c < 0x7f) continue;
    if (c === 0x2f) return 'contains "/"';
    if (c === 0x2b || c === 0x23) return `contains the wildcard "${String.fromCharCode(c)}"`;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffd || isLoneSurrogate(name, i, c)) return `contains ${charLabel(c)}`;
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  return undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// building results

export function reading(topic: string, shape: TopicShape, attribute: string, value: ReadingValue, unit: string | undefined, ts: number, deviceTs: boolean): Reading {
  const deviceId = shape.depth === 4 ? topic.slice(0, shape.s3) : topic;
  const site = topic.slice(0, shape.s1);
  const room = topic.slice(shape.s1 + 1, shape.s2);
  const device = shape.depth === 4 ? topic.slice(shape.s2 + 1, shape.s3) : topic.slice(shape.s2 + 1);
  return unit === undefined
    ? { deviceId, site, room, device, attribute, value, ts, deviceTs }
    : { deviceId, site, room, device, attribute, value, unit, ts, deviceTs };
}

export function reject(code: RejectCode, reason: string, attribute?: string): Reject {
  return attribute === undefined ? { code, reason } : { code, reason, attribute };
}

export function refused(r: Reject): ParseResult {
  return { readings: [], rejects: [r] };
}

export function isReject(x: unknown): x is Reject {
  return typeof x === 'object' && x !== null && typeof (x as Reject).code === 'string' && typeof (x as Reject).reason === 'string';
}

// ---------------------------------------------------------------------------------------------
// text helpers

/** True when the code unit at i is half of a surrogate pair without its other half. */
function isLoneSurrogate(s: string, i: number, c: number): boolean {
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1); // NaN past the end
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  return c >= 0xdc00 && c <= 0xdfff; // a low half never follows a high one here: pairs are skipped
}

function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (isLoneSurrogate(s, i, c)) return i;
    i++;
  }
  return -1;
}

function charLabel(c: number): string {
  const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c === 0) return `a NUL character (${hex})`;
  if (c === 0xfffd) return `the replacement character ${hex} (the sender's bytes were not valid UTF-8)`;
  if (c >= 0xd800 && c <= 0xdfff) return `an unpaired surrogate (${hex})`;
  return `the control character ${hex}`;
}

function charAdvice(c: number): string {
  return c === 0xfffd ? 'publish the topic encoded as UTF-8' : 'topic levels may not hold control characters';
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the text ${show(v)}`;
  return `${typeof v} ${String(v)}`;
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not cut a surrogate pair in half
  return `${s.slice(0, end)}…`;
}

/** Quotes text for a reason: truncated, and escaped (control characters, lone surrogates) by JSON.stringify. */
export function show(s: string): string {
  const quoted = JSON.stringify(truncate(s, ECHO_MAX));
  // JSON.stringify leaves DEL and the C1 controls as they are
  return quoted.replace(DEL_AND_C1, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Replaces what a database text or jsonb value cannot hold (NUL, control characters, lone surrogates) by U+FFFD. */
export function sanitize(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || isLoneSurrogate(s, i, c)) {
      out += '\ufffd';
    } else if (c >= 0xd800 && c <= 0xdbff) {
      out += s[i] + s[i + 1];
      i++;
    } else {
      out += s[i];
    }
  }
  return out;
}

function hexPreview(buf: Buffer): string {
  const n = Math.min(buf.length, 16);
  let hex = '';
  for (let i = 0; i < n; i++) hex += (i ? ' ' : '') + buf[i].toString(16).padStart(2, '0');
  return buf.length > n ? `${hex} …` : hex;
}
