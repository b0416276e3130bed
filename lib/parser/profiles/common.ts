/**
 * What the firmware profiles share: the input they get, result building, JSON flattening, lenient
 * JSON (Tasmota's bare `nan`), firmware timestamps and the per-value checks. Value and time rules
 * come from octopus-format.ts so that a number, a NaN or a timestamp means the same in every profile.
 *
 * Pure, no Node-RED import. Not on the plain-topic hot path: only messages a firmware profile
 * claimed get here.
 */
import type {
  AvailabilityEvent,
  AvailabilityState,
  CommandEvent,
  DeletionEvent,
  DeviceInfo,
  DeviceRef,
  EntityInfo,
  ParseResult,
  ProfileName,
  Reading,
  ReadingValue,
  Reject,
} from '../../model/reading';
import type { ProfileContext } from '../context';
import { NON_FINITE_MARK } from '../lenient-json';
import type { TasmotaLocated } from '../tasmota-fulltopic';
import { isReject, reject, sanitize, scanTopic, show, truncate, type TopicStyle } from '../parse-kit';
import { attributeNameProblem, epochToMs, isDecimal, isNonFiniteWord, isoToMs, isPlainObject, MAX_DEVICE_TS_AHEAD_MS, MIN_DEVICE_TS, textValue } from '../parse-values';
import { switchValue } from '../switch-words';

export { isPlainObject, isReject, reject, show };

/** Everything a profile needs to read one message; built once by parseMessage. */
export interface ProfileInput {
  topic: string;
  /** The topic split on `/`, already checked (no empty level, wildcard or control character). */
  levels: readonly string[];
  /** The payload as text (UTF-8 checked, size checked); `''` for an empty payload. */
  text: string;
  /** Receive time, epoch ms. */
  now: number;
  /** Site given to firmware devices (ParseOptions.defaultSite). */
  site: string;
  ctx: ProfileContext | undefined;
  /**
   * Which device a topic's messages belong to, as the profile that reads that topic names it.
   * Home Assistant discovery uses it so that an announced Tasmota or ESPHome entity lands on the
   * same device id as the readings that profile produces.
   */
  resolve: (topic: string) => DeviceRef | undefined;
  /** Where a configured Tasmota FullTopic put prefix, device and suffix (tasmota-fulltopic.ts). */
  tasmota?: TasmotaLocated;
}

export interface Profile {
  name: ProfileName;
  parse(input: ProfileInput): ParseResult;
  /** The device a topic of this profile belongs to, from the topic alone; undefined when it names none. */
  deviceOf(levels: readonly string[], site: string): DeviceRef | undefined;
}

/** Firmware topics deeper than this are refused: no documented firmware topic comes close. */
export const MAX_FIRMWARE_DEPTH = 32;
/** Command payload text kept in a CommandEvent. */
const COMMAND_ECHO_MAX = 200;

const FIRMWARE_STYLE: TopicStyle = {
  levelNames: [],
  wildcardAdvice: 'wildcards belong in subscriptions, not in a published topic',
  emptyLevelAdvice: 'no firmware publishes on a topic with an empty level',
  emptyTopicAdvice: 'the message cannot be attributed to a device',
};

/** Checks a firmware topic by the same rules as Octopus topics and splits it; the reject when it fails. */
export function splitTopic(topic: string): string[] | Reject {
  const shape = scanTopic(topic, FIRMWARE_STYLE);
  if (isReject(shape)) return shape;
  if (shape.depth > MAX_FIRMWARE_DEPTH) {
    return reject('topic-depth', `topic ${show(topic)} has ${shape.depth} levels; no firmware profile reads topics deeper than ${MAX_FIRMWARE_DEPTH}`);
  }
  return topic.split('/');
}

export function deviceRef(profile: ProfileName, native: string, site: string): DeviceRef {
  return { deviceId: `${profile}:${native}`, site, room: '', device: native, profile };
}

/** A device named by a payload (an announcement, a device list): its id cleaned like any stored text. */
export function payloadDeviceRef(profile: ProfileName, native: string, site: string): DeviceRef | undefined {
  const id = cleanText(native);
  return id === undefined ? undefined : deviceRef(profile, id, site);
}

export function emptyResult(profile: ProfileName): ParseResult {
  return { readings: [], rejects: [], profile };
}

export function refusedBy(profile: ProfileName, r: Reject): ParseResult {
  return { readings: [], rejects: [r], profile };
}

export function ignoredBy(profile: ProfileName, why: string): ParseResult {
  return { readings: [], rejects: [], profile, ignored: why };
}

/** A topic the profile owns but does not read: refused with what it does read. */
export function unknownTopic(profile: ProfileName, topic: string, expected: string): Reject {
  return reject('topic-unknown', `topic ${show(topic)} looks like ${PROFILE_LABEL[profile]} but is not a message the parser reads; expected ${expected}`);
}

/** An empty payload on a topic that carries values: a retained message being cleared. */
export function emptyPayloadReject(profile: ProfileName, what: string): Reject {
  return reject('payload-empty', `the payload is empty: an empty retained message clears the ${what} of this ${PROFILE_LABEL[profile]} device; it is a deletion, not a reading`);
}

export const PROFILE_LABEL: Record<ProfileName, string> = {
  octopus: 'an Octopus topic',
  tasmota: 'Tasmota',
  z2m: 'Zigbee2MQTT',
  shelly: 'Shelly',
  esphome: 'ESPHome',
  homie: 'Homie',
  ha: 'Home Assistant discovery',
  owntracks: 'OwnTracks',
};

// ---------------------------------------------------------------------------------------------
// building results

export interface ReadingOptions {
  unit?: string;
  ts: number;
  deviceTs: boolean;
  converted?: string;
}

/**
 * Adds a reading, or an `attribute-invalid` reject when the attribute could not be stored as one
 * (a key from the payload with `/`, `+`, `#` or a control character somewhere in its path).
 */
export function addReading(out: ParseResult, ref: DeviceRef, attribute: string, value: ReadingValue, o: ReadingOptions): void {
  const problem = keyProblem(attribute);
  if (problem !== undefined) {
    out.rejects.push(reject('attribute-invalid', `attribute name ${show(attribute)} ${problem}`, sanitize(attribute) || '?'));
    return;
  }
  if (typeof value === 'string') {
    // the profiles check text values; this is the net under them (NUL cannot be stored)
    const checked = textValue(value, `attribute ${show(attribute)}`, attribute);
    if (isReject(checked)) {
      out.rejects.push(checked);
      return;
    }
  }
  pushReading(out, ref, attribute, value, o);
}

/** Adds a reading whose attribute and value were already checked (the JSON walk checks each key and value). */
export function pushReading(out: ParseResult, ref: DeviceRef, attribute: string, value: ReadingValue, o: ReadingOptions): void {
  const r: Reading = { deviceId: ref.deviceId, site: ref.site, room: ref.room, device: ref.device, attribute, value, ts: o.ts, deviceTs: o.deviceTs };
  if (o.unit !== undefined) r.unit = o.unit;
  if (o.converted !== undefined) r.converted = o.converted;
  out.readings.push(r);
}

export function addAvailability(out: ParseResult, ref: DeviceRef, state: AvailabilityState, native: string, ts: number): void {
  const e: AvailabilityEvent = { kind: 'availability', ...ref, state, native: sanitize(truncate(native, 80)), ts };
  (out.availability ??= []).push(e);
}

export function addCommand(out: ParseResult, ref: DeviceRef, command: string, value: string, topic: string, ts: number): void {
  const e: CommandEvent = { kind: 'command', ...ref, command, value: sanitize(truncate(value, COMMAND_ECHO_MAX)), topic, ts };
  (out.commands ??= []).push(e);
}

/** Adds device metadata; fields that are absent or empty are left out, and nothing is added when nothing is known. */
export function addDevice(out: ParseResult, ref: DeviceRef, info: Omit<DeviceInfo, 'kind' | keyof DeviceRef | 'ts'>, ts: number): void {
  const d: DeviceInfo = { kind: 'device', ...ref, ts };
  let any = false;
  for (const key of ['name', 'model', 'manufacturer', 'firmware', 'hardware', 'ip', 'mac'] as const) {
    const v = info[key];
    if (typeof v === 'string' && v.length > 0) {
      d[key] = sanitize(truncate(v, 200));
      any = true;
    }
  }
  if (info.entities && info.entities.length > 0) {
    d.entities = info.entities.map(cleanEntity);
    any = true;
  }
  if (any) (out.devices ??= []).push(d);
}

/**
 * Text from a payload that ends up stored (a unit, a name, a device id): trimmed, at most `max`
 * characters, control characters and lone surrogates replaced (PostgreSQL text cannot hold NUL);
 * undefined when nothing is left.
 */
export function cleanText(s: string | undefined, max = 200): string | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return t.length === 0 ? undefined : sanitize(truncate(t, max));
}

function cleanEntity(e: EntityInfo): EntityInfo {
  const out: EntityInfo = {};
  for (const key of ['attribute', 'name', 'unit', 'deviceClass', 'stateClass', 'component', 'datatype', 'stateTopic', 'commandTopic', 'uniqueId'] as const) {
    const v = cleanText(e[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function addDeletion(out: ParseResult, ref: DeviceRef, reason: string, ts: number, entity?: string): void {
  const e: DeletionEvent = entity === undefined ? { kind: 'deletion', ...ref, reason, ts } : { kind: 'deletion', ...ref, entity, reason, ts };
  (out.deletions ??= []).push(e);
}

/** True when the result has something to send on: a reading, a reject, an event or an ignore reason. */
export function answered(r: ParseResult): boolean {
  return (
    r.readings.length > 0 ||
    r.rejects.length > 0 ||
    (r.availability?.length ?? 0) > 0 ||
    (r.commands?.length ?? 0) > 0 ||
    (r.devices?.length ?? 0) > 0 ||
    (r.deletions?.length ?? 0) > 0 ||
    r.ignored !== undefined
  );
}

// ---------------------------------------------------------------------------------------------
// values

// lenientJson (Tasmota's bare nan) lives in lenient-json.ts; its marker is checked in textReadingValue below
export { lenientJson } from '../lenient-json';

export interface ValueOptions {
  /** Turn the exact strings `ON`/`OFF` into booleans (the firmware's switch states). */
  onOff?: boolean;
  /** Extra words that mean "no value" for this firmware (ESPHome `None`). */
  noValueWords?: ReadonlySet<string>;
}

/**
 * A JSON value of a firmware payload: a reading value, a reject (with the attribute), or
 * undefined for JSON null, which firmwares send for "unknown" (Zigbee2MQTT, Shelly): skipped.
 */
export function jsonReadingValue(v: unknown, attribute: string, o?: ValueOptions): ReadingValue | Reject | undefined {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) return notFiniteValue(String(v), attribute);
      return v === 0 ? 0 : v;
    case 'boolean':
      return v;
    case 'string':
      return textReadingValue(v, attribute, o);
    default:
      if (v === null || v === undefined) return undefined;
      return reject('value-invalid', `the value of attribute ${show(attribute)} is ${Array.isArray(v) ? 'an array' : 'an object'}; a value must be a number, true/false or text`, attribute);
  }
}

function textReadingValue(s: string, attribute: string, o?: ValueOptions): ReadingValue | Reject {
  if (s.startsWith(NON_FINITE_MARK)) return notFiniteValue(s.slice(NON_FINITE_MARK.length), attribute, ' (a bare nan/inf in the JSON)');
  if (o?.onOff) {
    if (s === 'ON') return true;
    if (s === 'OFF') return false;
  }
  const onOff = switchValue(s, attribute);
  if (onOff !== undefined) return onOff;
  if (o?.noValueWords?.has(s)) return notFiniteValue(s, attribute);
  return textValue(s, `attribute ${show(attribute)}`, attribute);
}

function notFiniteValue(text: string, attribute: string, how = ''): Reject {
  return reject(
    'value-not-finite',
    `the value of attribute ${show(attribute)} ${show(text)}${how} is not a finite number; the sensor had no reading (disconnected or failed)`,
    attribute,
  );
}

/**
 * A plain-text payload: a decimal number, true/false (any case), ON/OFF when asked, else text.
 * `nan`, `inf` and friends are refused as not finite.
 */
export function textPayloadValue(text: string, attribute: string, o?: ValueOptions): ReadingValue | Reject {
  const t = text.trim();
  if (t.length === 0) return reject('value-invalid', `the value of attribute ${show(attribute)} is empty`, attribute);
  const c0 = t.charCodeAt(0);
  if (((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x2d || c0 === 0x2b || c0 === 0x2e) && isDecimal(t)) {
    const v = Number(t);
    if (!Number.isFinite(v)) return notFiniteValue(t, attribute);
    return v === 0 ? 0 : v;
  }
  if (t.length === 4 || t.length === 5) {
    const lower = t.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  if (isNonFiniteWord(t)) return notFiniteValue(t, attribute);
  return textReadingValue(t, attribute, o);
}

/** Why a JSON key cannot be (part of) an attribute name, or undefined. `.` joins nested keys. */
export function keyProblem(key: string): string | undefined {
  return attributeNameProblem(key);
}

// ---------------------------------------------------------------------------------------------
// time

export type FirmwareTime = { ms: number } | { problem: string } | undefined;

/**
 * A firmware's own timestamp: ISO-8601 with a zone, or epoch seconds/ms (numbers or digit strings).
 * A zone-less time (Tasmota's default `"Time":"2019-01-01T00:00:00"`, local time) names no instant:
 * undefined, the receive time is used. A time out of range is a problem the caller reports.
 */
export function firmwareTime(raw: unknown, now: number): FirmwareTime {
  let ms: number;
  if (typeof raw === 'number') ms = epochToMs(raw);
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (/^\d+(?:\.\d+)?$/.test(s)) ms = epochToMs(Number(s));
    else {
      ms = isoToMs(s);
      if (Number.isNaN(ms)) return undefined;
    }
  } else return undefined;
  if (Number.isNaN(ms)) return { problem: `${show(String(raw))} is not a time` };
  if (ms < MIN_DEVICE_TS || ms > now + MAX_DEVICE_TS_AHEAD_MS) {
    const when = ms < MIN_DEVICE_TS ? 'before 2000' : 'more than a day ahead of the receive time';
    return { problem: `${show(String(raw))} is ${new Date(ms).toISOString()}, ${when}` };
  }
  return { ms };
}

/**
 * The time readings of a message get: the device's when valid, else the receive time. An
 * out-of-range device time is reported (a reject naming the key, counted) and replaced by the
 * receive time, so that a wrong clock does not lose the measurements.
 */
export function timeOf(out: ParseResult, raw: unknown, key: string, now: number): { ts: number; deviceTs: boolean } {
  const t = firmwareTime(raw, now);
  if (t === undefined) return { ts: now, deviceTs: false };
  if ('ms' in t) return { ts: t.ms, deviceTs: true };
  out.rejects.push(reject('timestamp-invalid', `the device time ${key} ${t.problem}; the readings use the receive time instead — check the device clock`, key));
  return { ts: now, deviceTs: false };
}

/** A string field of a JSON object, or undefined. */
export function str(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
