/**
 * JSON objects in the plain Octopus format: `{value, unit?, ts?}` on site/room/device/attribute,
 * `{attr: value | {value, unit?, ts?}, …, ts?}` on site/room/device. Split from octopus-format.ts,
 * whose rules (values, units, timestamps) these follow.
 *
 * Issue #17 added two readings of real clients' payloads:
 *  - a one-key object whose key is a common value word (`{"val":21}`, `{"reading":21}`) is read as
 *    that value, where `{"value":21}` is;
 *  - an attribute whose value is an array (a multi-channel meter's `"Power":[40,12]`) gives one
 *    reading per element, `Power.0`, `Power.1`: the naming every profile uses (json-leaves.ts).
 *    A single-value topic (site/room/device/attribute) still takes one value, not an array.
 */
import type { ParseResult, Reading, ReadingValue, Reject } from '../model/reading';
import { MAX_ARRAY_ELEMENTS, noteUnread, tooLongArray } from './json-leaves';
import { isReject, reading, refused, reject, sanitize, show, type TopicShape } from './parse-kit';
import { attributeNameProblem, deviceTimeOf, isPlainObject, jsonValue, unitOf } from './parse-values';

/** Keys that clients wrap a lone value in, besides `value`: `{"val":21}`, `{"v":21}`, `{"data":21}`. */
export const VALUE_WORDS: ReadonlySet<string> = new Set(['val', 'v', 'data', 'reading', 'payload', 'measurement', 'result', 'raw', 'state', 'level']);

/** The value of a one-key object whose key is a value word, else undefined. */
export function wrappedValue(obj: Record<string, unknown>): unknown {
  let found: unknown;
  let n = 0;
  for (const key in obj) {
    if (++n > 1) return undefined;
    if (!VALUE_WORDS.has(key)) return undefined;
    found = obj[key];
  }
  return isPlainObject(found) || Array.isArray(found) ? undefined : found;
}

/** `{value, unit?, ts?}` on site/room/device/attribute: one reading. */
export function singleFromObject(topic: string, shape: TopicShape, obj: Record<string, unknown>, now: number): ParseResult {
  if (obj.value === undefined) {
    const wrapped = wrappedValue(obj);
    if (wrapped !== undefined) return singleFromObject(topic, shape, { value: wrapped }, now);
    return refused(
      reject(
        'value-invalid',
        `a JSON object on site/room/device/attribute needs a value field; publish several attributes on site/room/device, or give the topic template a value path such as "sensor.temp" (got ${show(JSON.stringify(obj))})`,
      ),
    );
  }
  const value = jsonValue(obj.value);
  if (isReject(value)) return refused(value);
  const unit = unitOf(obj);
  if (isReject(unit)) return refused(unit);
  const ts = deviceTimeOf(obj, now);
  if (isReject(ts)) return refused(ts);
  const deviceTs = ts !== undefined;
  return { readings: [reading(topic, shape, topic.slice(shape.s3 + 1), value, unit, deviceTs ? ts : now, deviceTs)], rejects: [] };
}

/** `{attr: value | {value, unit?, ts?}, …, ts?}` on site/room/device: one reading per attribute, bad ones refused alone. */
export function multiFromObject(topic: string, shape: TopicShape, obj: Record<string, unknown>, now: number): ParseResult {
  if (obj.value !== undefined) {
    return refused(
      reject(
        'topic-depth',
        `topic ${show(topic)} has 3 levels and the JSON object has a value field, so the attribute is missing; publish it on site/room/device/attribute, or name each attribute: {"temperature":21.5}`,
      ),
    );
  }
  const common = deviceTimeOf(obj, now);
  if (isReject(common)) return refused(common);
  const readings: Reading[] = [];
  const rejects: Reject[] = [];
  for (const key of Object.keys(obj)) {
    if (key === 'ts' || key === 'timestamp' || key === 'time') {
      noteUnread(key, 'the time of every reading of this message');
      continue;
    }
    if (key === 'unit') {
      rejects.push(
        reject('value-invalid', 'a top-level unit is ambiguous with several attributes; give each its own, as {"humidity":{"value":40,"unit":"%"}}', 'unit'),
      );
      continue;
    }
    const nameProblem = attributeNameProblem(key);
    if (nameProblem !== undefined) {
      rejects.push(reject('attribute-invalid', `attribute name ${show(key)} ${nameProblem}; attribute names are topic levels`, sanitize(key)));
      continue;
    }
    const item = obj[key];
    if (Array.isArray(item)) {
      arrayReadings(topic, shape, key, item, common, now, readings, rejects);
      continue;
    }
    let value: ReadingValue | Reject;
    let unit: string | undefined | Reject;
    let ts: number | undefined | Reject = common;
    if (isPlainObject(item)) {
      const inner = item.value !== undefined ? item : wrappedObject(item);
      if (inner === undefined) {
        rejects.push(reject('value-invalid', `attribute ${show(key)} is an object without a value field; send {"value":…,"unit":…} or a plain value`, key));
        continue;
      }
      value = jsonValue(inner.value, key);
      unit = isReject(value) ? undefined : unitOf(inner, key);
      const own = isReject(value) || isReject(unit) ? undefined : deviceTimeOf(inner, now, key);
      if (own !== undefined) ts = own;
    } else {
      value = jsonValue(item, key);
      unit = undefined;
    }
    const bad = isReject(value) ? value : isReject(unit) ? unit : isReject(ts) ? ts : undefined;
    if (bad !== undefined) {
      rejects.push(bad);
      continue;
    }
    const deviceTs = ts !== undefined;
    readings.push(reading(topic, shape, key, value as ReadingValue, unit as string | undefined, deviceTs ? (ts as number) : now, deviceTs));
  }
  if (readings.length === 0 && rejects.length === 0) {
    rejects.push(
      reject('value-invalid', `the JSON object on ${show(topic)} has no attributes; send {"attribute": value, …}, e.g. {"temperature":21.5,"humidity":40}`),
    );
  }
  return { readings, rejects };
}

function wrappedObject(item: Record<string, unknown>): Record<string, unknown> | undefined {
  const v = wrappedValue(item);
  return v === undefined ? undefined : { value: v };
}

/** `"Power":[40,12]`: readings Power.0, Power.1 at the message's time; elements that are not values refused alone. */
function arrayReadings(topic: string, shape: TopicShape, key: string, arr: unknown[], ts: number | undefined, now: number, readings: Reading[], rejects: Reject[]): void {
  if (arr.length === 0) {
    noteUnread(key, 'an empty array: no value');
    return;
  }
  if (arr.length > MAX_ARRAY_ELEMENTS) {
    rejects.push(tooLongArray(key, arr.length));
    return;
  }
  for (let i = 0; i < arr.length; i++) {
    const attribute = `${key}.${i}`;
    const value = jsonValue(arr[i], attribute);
    if (isReject(value)) rejects.push(value);
    else readings.push(reading(topic, shape, attribute, value, undefined, ts ?? now, ts !== undefined));
  }
}
