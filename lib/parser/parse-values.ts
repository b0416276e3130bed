/**
 * Reading values and device times for the parser (the rules are in octopus-format.ts's header):
 * numbers in plain decimal syntax, non-finite words, text, JSON values, units, and device
 * timestamps in ISO 8601 or epoch units. Pure and synchronous, on the hot path.
 */
import type { Reject, ReadingValue } from '../model/reading';
import { charLabel, describeJson, firstLoneSurrogate, isLoneSurrogate, reject, show } from './parse-kit';

/** Earliest device timestamp accepted (2000-01-01T00:00:00Z): anything before is a clock that was never set. */
export const MIN_DEVICE_TS = 946684800000;
/** How far ahead of the receive time a device timestamp may be (clock skew, time zone mistakes). */
export const MAX_DEVICE_TS_AHEAD_MS = 24 * 3600 * 1000;
const TIMESTAMP_KEYS = ['ts', 'timestamp', 'time'] as const;
const NON_FINITE_WORDS = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const ISO_TIME_NO_ZONE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?$/;
const EPOCH_DIGITS = /^\d+(?:\.\d+)?$/;

/** A plain (non-JSON) payload: number, boolean, refused non-finite, or text. */
export function scalarFromText(text: string): ReadingValue | Reject {
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

