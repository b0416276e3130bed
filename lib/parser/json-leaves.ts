/**
 * JSON payloads to readings, leaf by leaf (issue #17): one reading per leaf of a JSON object,
 * named by its path. One naming scheme everywhere: object keys and array indexes joined by `.`
 * (`ENERGY.Total`, `ENERGY.Power.0`, `ENERGY.Power.1`, `switch:0.aenergy.total`).
 *
 *  - Arrays of numbers, booleans or text (a two-channel meter's `"Power":[40,12]`, a light's
 *    `"Channel":[100,0,0]`) give one reading per element; objects inside arrays keep flattening.
 *    An array longer than MAX_ARRAY_ELEMENTS (a history, a dump) is refused with its length.
 *  - Nothing is dropped without a word: a leaf that is not read (a key the profile skips as an
 *    identifier or unit marker, JSON null for "not known yet", an empty array) is noted with its
 *    reason when the caller asked parseMessage to explain (ParseOptions.explain), and a leaf that
 *    cannot be read is a reject naming it.
 *
 * Pure, no Node-RED import. The explain notes are collected in a module variable while one
 * synchronous parseMessage call runs (explainBegin/explainEnd): nothing is allocated for them on
 * the ingest path, where nobody reads them.
 */
import type { DeviceRef, ParseResult } from '../model/reading';
import { sanitize } from './parse-kit';
import { isPlainObject, isReject, jsonReadingValue, keyProblem, pushReading, reject, show, type ValueOptions } from './profiles/common';

/** Elements read per array: multi-channel meters have 2–8 channels, a light 5 colour channels. */
export const MAX_ARRAY_ELEMENTS = 32;
/** JSON objects and arrays nested deeper than this are refused value by value. */
const MAX_JSON_DEPTH = 12;
/** Explain notes kept per message. */
const MAX_NOTES = 200;

/** A leaf of a JSON payload that was not made a reading, and why (ParseOptions.explain). */
export interface UnreadLeaf {
  attribute: string;
  reason: string;
}

let notes: UnreadLeaf[] | undefined;

/** Starts collecting unread-leaf notes for the message being parsed. */
export function explainBegin(): void {
  notes = [];
}

/** Stops collecting and returns the notes of the message. */
export function explainEnd(): UnreadLeaf[] {
  const n = notes ?? [];
  notes = undefined;
  return n;
}

/** True while parseMessage explains (ParseOptions.explain): callers may then spend time on notes. */
export function explaining(): boolean {
  return notes !== undefined;
}

/** Notes every leaf of `v` under `path` that is not under one of `kept` (dotted paths), with `reason`. */
export function noteLeavesOutside(v: unknown, path: string, kept: ReadonlySet<string>, reason: string, depth = 0): void {
  if (notes === undefined || kept.has(path) || depth > MAX_JSON_DEPTH) return;
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : isPlainObject(v) ? Object.entries(v) : undefined;
  if (entries === undefined || entries.length === 0) {
    if (path !== '') noteUnread(path, reason);
    return;
  }
  for (const [k, x] of entries) noteLeavesOutside(x, path === '' ? k : `${path}.${k}`, kept, reason, depth + 1);
}

/** Notes a leaf that was not read, when parseMessage was asked to explain; nothing otherwise. */
export function noteUnread(attribute: string, reason: string): void {
  if (notes !== undefined && notes.length < MAX_NOTES) notes.push({ attribute, reason });
}

export const NULL_LEAF = 'null: the device does not know this value (yet)';

export interface FlattenOptions extends ValueOptions {
  ts: number;
  deviceTs: boolean;
  /** Keys (by dotted path or by plain key) that are not telemetry: identifiers, unit markers, times. */
  skip?: (key: string, path: string) => boolean;
  /** Why skipped keys are not read, for the explain notes. */
  skipReason?: string;
  /** The unit of a value, by its key and dotted path (for an array element: the array's key and path). */
  unit?: (key: string, path: string) => string | undefined;
}

const SKIPPED = 'not telemetry for this profile (an identifier, a unit marker, a time or a history)';

/**
 * One reading per leaf of a JSON object, named by its dotted path. A bad leaf is refused alone;
 * the others still come through.
 */
export function flattenInto(out: ParseResult, ref: DeviceRef, obj: Record<string, unknown>, prefix: string, o: FlattenOptions, depth = 0): void {
  if (depth === 0 && prefix !== '') {
    const problem = keyProblem(prefix);
    if (problem !== undefined) {
      out.rejects.push(reject('attribute-invalid', `attribute name ${show(prefix)} ${problem}`, sanitize(prefix) || '?'));
      return;
    }
  }
  for (const key of Object.keys(obj)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (o.skip?.(key, path)) {
      if (notes !== undefined) noteUnread(path, o.skipReason ?? SKIPPED);
      continue;
    }
    const problem = keyProblem(key);
    if (problem !== undefined) {
      out.rejects.push(reject('attribute-invalid', `attribute name ${show(path)} ${problem}`, sanitize(path)));
      continue;
    }
    leafInto(out, ref, obj[key], key, path, o, depth);
  }
}

/** One value of an object or array at `path`: a nested object or array is walked, a scalar becomes a reading. */
function leafInto(out: ParseResult, ref: DeviceRef, v: unknown, key: string, path: string, o: FlattenOptions, depth: number): void {
  if (isPlainObject(v)) {
    if (depth >= MAX_JSON_DEPTH) {
      out.rejects.push(reject('value-invalid', `attribute ${show(path)} is nested more than ${MAX_JSON_DEPTH} objects deep`, path));
      return;
    }
    flattenInto(out, ref, v, path, o, depth + 1);
    return;
  }
  if (Array.isArray(v)) {
    arrayInto(out, ref, v, key, path, o, depth);
    return;
  }
  const value = jsonReadingValue(v, path, o);
  if (value === undefined) {
    if (notes !== undefined) noteUnread(path, NULL_LEAF);
    return;
  }
  if (isReject(value)) {
    out.rejects.push(value);
    return;
  }
  // the path's keys were checked above, the value by jsonReadingValue
  pushReading(out, ref, path, value, { unit: o.unit?.(key, path), ts: o.ts, deviceTs: o.deviceTs });
}

/** Element i of an array is `<path>.<i>`; its unit is the array's (`"Power":[40,12]` → W, W). */
function arrayInto(out: ParseResult, ref: DeviceRef, arr: unknown[], key: string, path: string, o: FlattenOptions, depth: number): void {
  if (arr.length === 0) {
    if (notes !== undefined) noteUnread(path, 'an empty array: no value');
    return;
  }
  if (arr.length > MAX_ARRAY_ELEMENTS) {
    out.rejects.push(tooLongArray(path, arr.length));
    return;
  }
  if (depth >= MAX_JSON_DEPTH) {
    out.rejects.push(reject('value-invalid', `attribute ${show(path)} is nested more than ${MAX_JSON_DEPTH} objects or arrays deep`, path));
    return;
  }
  const unitOf = o.unit;
  const elementOptions: FlattenOptions = unitOf === undefined ? o : { ...o, unit: (k, p) => (p.startsWith(`${path}.`) && k === String(Number(k)) ? unitOf(key, path) : unitOf(k, p)) };
  for (let i = 0; i < arr.length; i++) leafInto(out, ref, arr[i], String(i), `${path}.${i}`, elementOptions, depth + 1);
}

export function tooLongArray(path: string, length: number): ReturnType<typeof reject> {
  return reject(
    'value-invalid',
    `attribute ${show(path)} is an array of ${length} elements, more than the ${MAX_ARRAY_ELEMENTS} read per array (a history or a dump, not a reading); publish the values one by one, or name one with a value path`,
    path,
  );
}
