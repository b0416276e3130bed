import type { ProfileContext } from '../parser/context';
import type { TasmotaTopicOptions } from '../parser/tasmota-fulltopic';

/** A reading's value as stored: numbers, booleans and text cover sensors and actuators alike. */
export type ReadingValue = number | boolean | string;

/**
 * The topic dialects the parser understands. `octopus` is the plain `site/room/device/attribute`
 * format; the others are device firmwares and conventions people already run.
 */
export type { DeviceRef, ProfileName } from './device-ref';
import type { DeviceRef, ProfileName } from './device-ref';

/**
 * One typed measurement of one attribute of one device, the unit the whole pipeline passes on:
 * parser → registry / alerts / dashboard → Postgres sink.
 */
export interface Reading {
  /** Stable id of the device across messages: `site/room/device` for the Octopus topic format. */
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
  value: ReadingValue;
  unit?: string;
  /** Epoch milliseconds: the device's own timestamp when it sent one, else the receive time. */
  ts: number;
  /** True when `ts` came from the device; such readings are de-duplicated on (device, attribute, ts). */
  deviceTs: boolean;
  /**
   * How the value was converted from the unit the device sent, e.g. `"Wmin → Wh (÷60)"` for a Shelly
   * Gen1 energy counter. Absent when the value is the device's own number.
   */
  converted?: string;
}

/**
 * Why something is not a Reading, or undefined when it is one: the one answer to "is this a
 * reading?" for every node that takes readings from a wire (store, dashboard, devices, alerts), so a
 * flow that edits readings into something else is refused the same way everywhere.
 */
export function readingProblem(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null) return 'a reading must be an object';
  const x = r as Partial<Reading>;
  if (typeof x.deviceId !== 'string' || x.deviceId === '') return 'reading.deviceId must be a non-empty string';
  if (typeof x.attribute !== 'string' || x.attribute === '') return 'reading.attribute must be a non-empty string';
  if (typeof x.ts !== 'number' || !Number.isFinite(x.ts)) return 'reading.ts must be epoch milliseconds';
  const t = typeof x.value;
  if (t !== 'number' && t !== 'boolean' && t !== 'string') return 'reading.value must be a number, boolean or string';
  if (t === 'number' && !Number.isFinite(x.value)) return 'reading.value must be a finite number';
  if (x.unit !== undefined && typeof x.unit !== 'string') return 'reading.unit must be a string';
  if (typeof x.site !== 'string' || typeof x.room !== 'string' || typeof x.device !== 'string') {
    return 'reading.site, room and device must be strings';
  }
  return undefined;
}

/** Whether something from a wire is a Reading (readingProblem says why not). */
export function isReading(x: unknown): x is Reading {
  return readingProblem(x) === undefined;
}

/** Why a message (or one value inside it) was refused. Codes are stable: counters and tests use them. */
export type RejectCode =
  | 'topic-empty'
  | 'topic-depth'
  | 'topic-empty-level'
  | 'topic-wildcard'
  | 'topic-invalid-char'
  | 'payload-empty'
  | 'payload-too-large'
  | 'payload-not-utf8'
  | 'payload-invalid-json'
  | 'value-not-finite'
  | 'value-invalid'
  | 'timestamp-invalid'
  /** A key of a multi-attribute JSON object that cannot be an attribute name (empty, `/`, `+`, `#`, control characters). */
  | 'attribute-invalid'
  /**
   * No enabled profile recognises the topic's shape, or a profile recognises the firmware but not
   * this message of it (e.g. an unknown Tasmota suffix): refused rather than guessed at.
   */
  | 'topic-unknown'
  /** The parser itself failed on this message (a bug): the message is refused rather than lost. */
  | 'parser-error'
  /** A topic level longer than the parser's `maxLevelBytes` (UTF-8 bytes): refused before any profile reads it. */
  | 'topic-level-too-long'
  /** An attribute name (a JSON key path) longer than `maxLevelBytes`. */
  | 'attribute-too-long'
  /** A new device in a site that already holds its cap of devices (house bounds, issue #15). */
  | 'device-limit'
  /** A new attribute of a device that already has its cap of attributes. */
  | 'attribute-limit';

export interface Reject {
  code: RejectCode;
  /** A sentence an operator can act on, naming the offending part. */
  reason: string;
  /** The attribute the reject concerns, when one value of a multi-value payload was refused. */
  attribute?: string;
}


/** `other` covers states that are neither (Homie `init`, `sleeping`, `alert`); `native` keeps the word. */
export type AvailabilityState = 'online' | 'offline' | 'other';

/** The device told (or its broker told, by last will) whether it is reachable. */
export interface AvailabilityEvent extends DeviceRef {
  kind: 'availability';
  state: AvailabilityState;
  /** The payload as the firmware spelled it: `Online`, `true`, `lost`, `{"state":"offline"}` → `offline`. */
  native: string;
  ts: number;
}

/** A message sent *to* a device (Tasmota `cmnd/…`, Zigbee2MQTT `…/set`, Homie `…/set`): not a reading. */
export interface CommandEvent extends DeviceRef {
  kind: 'command';
  /** The command name: `POWER`, `set`, `set/state`, `relay/0/command`, `rpc`, … */
  command: string;
  /** The payload text, truncated to 200 characters. */
  value: string;
  topic: string;
  ts: number;
}

/** One attribute (entity, property) a device announced, with what is known of it. */
export interface EntityInfo {
  /** The reading attribute its values arrive under, when known. */
  attribute?: string;
  name?: string;
  unit?: string;
  deviceClass?: string;
  /** What kind of quantity, as Home Assistant's `state_class` says: `measurement`, `total`, `total_increasing`. */
  stateClass?: string;
  /** Home Assistant component (`sensor`, `switch`, …), Homie datatype, ESPHome component. */
  component?: string;
  datatype?: string;
  stateTopic?: string;
  commandTopic?: string;
  uniqueId?: string;
}

/** Discovery and metadata: what the device is, as far as the message says. */
export interface DeviceInfo extends DeviceRef {
  kind: 'device';
  name?: string;
  model?: string;
  manufacturer?: string;
  firmware?: string;
  hardware?: string;
  ip?: string;
  mac?: string;
  entities?: EntityInfo[];
  ts: number;
}

/** A device or one of its entities was removed (an empty retained discovery config, a Zigbee leave). */
export interface DeletionEvent extends DeviceRef {
  kind: 'deletion';
  /** The entity removed; absent when the whole device went. */
  entity?: string;
  reason: string;
  ts: number;
}

/** What the parse node sends on its third output. */
export type DeviceEvent = AvailabilityEvent | CommandEvent | DeviceInfo | DeletionEvent;

/**
 * What parsing one MQTT message gives: the readings it carries and what was refused. A message
 * whose every value was refused has `readings.length === 0` and at least one reject; valid
 * values in a partly bad payload still come through as readings.
 *
 * Firmware profiles add events (availability, commands, device metadata, deletions) and may
 * answer with `ignored` alone for a message that is not telemetry (a Zigbee2MQTT log line): the
 * result then has no reading, reject or event. Plain Octopus results never carry these fields.
 */
export interface ParseResult {
  readings: Reading[];
  rejects: Reject[];
  /** The profile that read the message; absent for plain Octopus topics. */
  profile?: ProfileName;
  availability?: AvailabilityEvent[];
  commands?: CommandEvent[];
  devices?: DeviceInfo[];
  deletions?: DeletionEvent[];
  /** Why a message that carries nothing to store was passed over (not an error, not counted as a reject). */
  ignored?: string;
  /**
   * Rejects of this message beyond the first MAX_REJECTS_PER_MESSAGE (lib/parser/bounds.ts), counted
   * by code instead of listed: a payload of 7 000 bad keys gives 20 rejects and `{"attribute-invalid": 6980}`.
   * Absent when every reject is listed.
   */
  omittedRejects?: Partial<Record<RejectCode, number>>;
  /**
   * Only with ParseOptions.explain: the leaves of a JSON payload that were not made readings and
   * are not named in a reject, each with why (an identifier, a unit marker, the message's time, null).
   */
  unread?: Array<{ attribute: string; reason: string }>;
  /** The topic template that read the message (ParseOptions.topicTemplates); absent for the Octopus format and the firmware profiles. */
  template?: string;
}

export interface ParseOptions {
  /** Payloads larger than this many bytes are refused. */
  maxPayloadBytes?: number;
  /** Receive time used for readings without a device timestamp (epoch ms); defaults to now. */
  receivedAt?: number;
  /**
   * Which profiles may read a message, in priority order (see lib/parser/detect.ts). Default:
   * DEFAULT_PROFILE_ORDER. A list with one profile forces it. Unknown names are ignored.
   */
  profiles?: readonly ProfileName[];
  /**
   * Site given to devices of firmware topics that name no house: those starting with a firmware
   * base topic (`tele/…`, `zigbee2mqtt/…`, `shellies/…`, `homie/…`, `owntracks/…`,
   * `homeassistant/…`). A firmware topic with a prefix in front (`casa1/plug/tele/SENSOR`) is filed
   * under the site its first level names, never under this one. Default `home`.
   */
  defaultSite?: string;
  /** Topic levels and attribute names longer than this many UTF-8 bytes are refused. Default 128. */
  maxLevelBytes?: number;
  /**
   * State kept between messages by the stateful profiles (Home Assistant discovery, Homie metadata,
   * Zigbee2MQTT units). One per parser instance, from createProfileContext(); without it those
   * profiles work statelessly (no announced topics, no units learned).
   */
  context?: ProfileContext;
  /**
   * Topic templates, one a line (lib/parser/topic-template.ts): `{site}/{room}/{attribute} device=thermo`,
   * `/{device}/{sensor}/{attribute}`, `home/{site}/+/{room}/{device}/{attribute} path=sensor.temp unit=°C`.
   * Tried in order on topics no firmware profile claims; the first that matches wins. Compiled once
   * per array (pass the same array). Absent: the Octopus format alone.
   */
  topicTemplates?: readonly string[];
  /** Tasmota's FullTopic and prefixes, when the devices do not use the defaults (lib/parser/tasmota-fulltopic.ts). Pass the same object. */
  tasmota?: TasmotaTopicOptions;
  /** Also report what was not read and why (`unread`, `template`): for the "try a message" panel and the CLI, not for ingest. */
  explain?: boolean;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
