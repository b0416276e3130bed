/**
 * Houses and bounds in the parser (issue #15).
 *
 * Which site a firmware topic belongs to: a house's devices publish in the house's own topic tree
 * (`casa1/…`, the only tree the broker's ACL lets them write), so a firmware topic with a prefix in
 * front (`casa1/plug/tele/SENSOR`, `casa1/light/lamp1/state`) is filed under the site its first
 * level names. Only topics that start with a firmware base topic (`tele/…`, `zigbee2mqtt/…`: the
 * operator's own broker, no house prefix) take the configured default site. And every device a
 * house topic gives lies inside that house: its id is moved below the house when it would not be
 * (a Home Assistant entity announced with its own identifier), so a house can neither file
 * readings under the default site nor name a device of another house.
 *
 * How long a topic level or an attribute name may be: a device publishing 20 KB levels would
 * otherwise carry them into the registry, the live model, the alert state and the tables.
 *
 * Pure, no Node-RED import.
 */
import type { DeviceRef, ParseResult, Reject } from '../model/reading';
import { reject, show } from './parse-kit';

/** First levels that are a firmware's base topic: such topics name no house. */
export const FIRMWARE_BASES: ReadonlySet<string> = new Set(['tele', 'stat', 'cmnd', 'zigbee2mqtt', 'shellies', 'homie', 'owntracks', 'homeassistant']);

/** Default for ParseOptions.maxLevelBytes. */
export const DEFAULT_MAX_LEVEL_BYTES = 128;

/** The house a firmware topic's levels belong to (its first level), or undefined for a topic starting with a firmware base. */
export function houseOf(levels: readonly string[]): string | undefined {
  const first = levels[0];
  return first === undefined || first.length === 0 || FIRMWARE_BASES.has(first) ? undefined : first;
}

/** The house of a topic (see houseOf), without splitting it. */
export function houseOfTopic(topic: string): string | undefined {
  const s1 = topic.indexOf('/');
  const first = s1 < 0 ? topic : topic.slice(0, s1);
  return first.length === 0 || FIRMWARE_BASES.has(first) ? undefined : first;
}

/** The limit from options: a whole number ≥ 1, else the default. */
export function levelLimit(configured: unknown): number {
  return typeof configured === 'number' && Number.isInteger(configured) && configured >= 1 ? configured : DEFAULT_MAX_LEVEL_BYTES;
}

/** UTF-8 length of `s`, or `max + 1` as soon as it is known to exceed `max` (cheap for short strings). */
function overLimit(s: string, max: number): boolean {
  // a UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4)
  if (s.length * 3 <= max) return false;
  if (s.length > max) return true;
  return Buffer.byteLength(s, 'utf8') > max;
}

/** The reject for a topic with a level longer than `max` bytes, or undefined. Allocates nothing for a short topic. */
export function longLevelReject(topic: string, max: number): Reject | undefined {
  if (topic.length * 3 <= max) return undefined;
  let start = 0;
  for (let i = 1; start <= topic.length; i++) {
    let end = topic.indexOf('/', start);
    if (end < 0) end = topic.length;
    if (end - start > max / 3 && overLimit(topic.slice(start, end), max)) {
      return reject('topic-level-too-long', `level ${i} of topic ${show(topic)} is longer than ${max} bytes (${Buffer.byteLength(topic.slice(start, end), 'utf8')}); no device needs such names`);
    }
    start = end + 1;
  }
  return undefined;
}

/** Moves readings whose attribute name is longer than `max` bytes to rejects. Mutates and returns `result`. */
export function boundAttributeNames(result: ParseResult, max: number): ParseResult {
  const readings = result.readings;
  let kept = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    if (overLimit(r.attribute, max)) {
      result.rejects.push(reject('attribute-too-long', `attribute name ${show(r.attribute)} is longer than ${max} bytes`, `${r.attribute.slice(0, 40)}…`));
    } else readings[kept++] = r;
  }
  readings.length = kept;
  return result;
}

/** True when the native device id lies in the house's tree: the house itself or below it. */
function insideHouse(device: string, house: string): boolean {
  return device === house || (device.length > house.length && device.startsWith(house) && device.charCodeAt(house.length) === 0x2f /* / */);
}

type Confinable = Pick<DeviceRef, 'deviceId' | 'site' | 'device'>;

function confine(x: Confinable, house: string): void {
  x.site = house;
  if (insideHouse(x.device, house)) return;
  const colon = x.deviceId.indexOf(':');
  x.device = `${house}/${x.device}`;
  x.deviceId = colon > 0 ? `${x.deviceId.slice(0, colon)}:${x.device}` : x.device;
}

/** The id the device `x` gets when filed under `house`, as confineToHouse would give it; `x` is left as it is. */
export function deviceIdInHouse(x: Confinable, house: string): string {
  const copy = { deviceId: x.deviceId, site: x.site, device: x.device };
  confine(copy, house);
  return copy.deviceId;
}

/**
 * Files everything a house topic gave under that house: site = the house, device ids inside its
 * tree. Mutates and returns `result`. The profiles already name devices by the topic's prefix, so
 * this changes nothing for them; it catches ids taken from elsewhere (discovery, payloads).
 */
export function confineToHouse(result: ParseResult, house: string): ParseResult {
  for (const r of result.readings) confine(r, house);
  for (const list of [result.availability, result.commands, result.devices, result.deletions]) {
    if (list) for (const e of list) confine(e, house);
  }
  return result;
}
