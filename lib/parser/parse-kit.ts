/**
 * The parser's toolkit, shared by the plain Octopus format (octopus-format.ts) and every firmware
 * profile: topic scanning, payload decoding, JSON with its limits, results and the wording of rejects;
 * values, units and device times are in parse-values.ts. The rules it keeps are listed in octopus-format.ts.
 * Pure and synchronous, on the hot path: see there for the rules it keeps.
 */
import { isUtf8 } from 'node:buffer';
import type { ParseResult, Reading, ReadingValue, Reject, RejectCode } from '../model/reading';

/** Longest echo of the offending text in a reason. */
const ECHO_MAX = 80;
/** Payloads up to this many bytes are tried as plain ASCII first (see decodePayload). */
const SHORT_ASCII_MAX = 24;

const LEVEL_NAMES = ['site', 'room', 'device', 'attribute'];
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

export function isShape(x: TopicShape | Reject): x is TopicShape {
  return (x as TopicShape).depth !== undefined;
}

function emptyLevelReject(topic: string, level: number, where: string, style: TopicStyle): Reject {
  return reject('topic-empty-level', `topic ${show(topic)} has an empty level ${levelLabel(level, style)}${where}; ${style.emptyLevelAdvice}`);
}

export function depthReject(topic: string, depth: number): Reject {
  return reject(
    'topic-depth',
    `topic ${show(topic)} has ${depth} level${depth === 1 ? '' : 's'}; expected 4 (site/room/device/attribute), or 3 (site/room/device) with a JSON object of attributes`,
  );
}

export function threeLevelsNeedObject(topic: string): Reject {
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
export function isLoneSurrogate(s: string, i: number, c: number): boolean {
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1); // NaN past the end
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  return c >= 0xdc00 && c <= 0xdfff; // a low half never follows a high one here: pairs are skipped
}

export function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (isLoneSurrogate(s, i, c)) return i;
    i++;
  }
  return -1;
}

export function charLabel(c: number): string {
  const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c === 0) return `a NUL character (${hex})`;
  if (c === 0xfffd) return `the replacement character ${hex} (the sender's bytes were not valid UTF-8)`;
  if (c >= 0xd800 && c <= 0xdfff) return `an unpaired surrogate (${hex})`;
  return `the control character ${hex}`;
}

function charAdvice(c: number): string {
  return c === 0xfffd ? 'publish the topic encoded as UTF-8' : 'topic levels may not hold control characters';
}

export function describeJson(v: unknown): string {
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
