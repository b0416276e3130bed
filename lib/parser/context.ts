/**
 * State the stateful profiles keep between messages: Home Assistant discovery (which topics were
 * announced, for which entity), Homie property metadata (`$datatype`, `$unit`) and the units
 * Zigbee2MQTT announces in `bridge/devices`. One context per parser instance (the parse node makes
 * one per node), never a module global: two parser nodes on different brokers must not share it.
 *
 * Every table is bounded: a broker full of retained discovery messages cannot grow it without end.
 */
import type { DeviceRef } from '../model/device-ref';

/** How a Home Assistant entity's value is taken from its state topic's payload. */
export type HaValue =
  /** `{{ value }}` or no template: the payload itself. */
  | { kind: 'raw' }
  /** `{{ value_json.a.b }}` and the like: a path into the JSON payload, with simple filters. */
  | { kind: 'path'; path: string[]; filters: HaFilter[] }
  /** A template the parser does not evaluate; `template` is kept for the reject reason. */
  | { kind: 'unsupported'; template: string };

export type HaFilter = { name: 'float' } | { name: 'int' } | { name: 'round'; digits: number };

export interface HaEntity {
  /** The discovery topic, plus `#<key>` for a component of a device-based config. */
  key: string;
  component: string;
  objectId: string;
  uniqueId?: string;
  /** The device the entity's readings are stored under. */
  ref: DeviceRef;
  /** The reading attribute. */
  attribute: string;
  name?: string;
  unit?: string;
  deviceClass?: string;
  stateTopic?: string;
  value: HaValue;
  /** `payload_on`/`state_on` and `payload_off`/`state_off`: these payloads are booleans. */
  on?: string;
  off?: string;
  availabilityTopic?: string;
  payloadAvailable: string;
  payloadNotAvailable: string;
  commandTopic?: string;
}

/** The roles one topic plays for the announced entities. */
export interface HaTopicUse {
  states: HaEntity[];
  availability: HaEntity[];
  commands: HaEntity[];
}

export interface HomieMeta {
  datatype?: string;
  unit?: string;
  name?: string;
}

export interface ContextLimits {
  haEntities: number;
  homieProperties: number;
  z2mDevices: number;
}

export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { haEntities: 10000, homieProperties: 20000, z2mDevices: 5000 };

export class ProfileContext {
  /** Home Assistant entities by discovery key. */
  readonly haEntities = new Map<string, HaEntity>();
  /** Topics announced by discovery configs, by topic. */
  readonly haTopics = new Map<string, HaTopicUse>();
  /** Homie property metadata by `device/node/property`. */
  readonly homie = new Map<string, HomieMeta>();
  /** Zigbee2MQTT units by friendly name, then property. */
  readonly z2mUnits = new Map<string, Map<string, string>>();

  constructor(readonly limits: ContextLimits = DEFAULT_CONTEXT_LIMITS) {}

  /** True when a discovery config announced this topic: the Home Assistant profile reads it. */
  claims(topic: string): boolean {
    return this.haTopics.size > 0 && this.haTopics.has(topic);
  }

  /** Registers (or replaces) an entity; false when the table is full. */
  putHaEntity(e: HaEntity): boolean {
    const old = this.haEntities.get(e.key);
    if (old === undefined && this.haEntities.size >= this.limits.haEntities) return false;
    if (old !== undefined) this.unlinkHaEntity(old);
    this.haEntities.set(e.key, e);
    if (e.stateTopic !== undefined) this.useOf(e.stateTopic).states.push(e);
    if (e.availabilityTopic !== undefined) this.useOf(e.availabilityTopic).availability.push(e);
    if (e.commandTopic !== undefined) this.useOf(e.commandTopic).commands.push(e);
    return true;
  }

  /** Removes the entities registered under a discovery topic (and its device-config components). */
  removeHaEntities(discoveryTopic: string): HaEntity[] {
    const removed: HaEntity[] = [];
    for (const [key, e] of this.haEntities) {
      if (key === discoveryTopic || key.startsWith(`${discoveryTopic}#`)) removed.push(e);
    }
    for (const e of removed) {
      this.haEntities.delete(e.key);
      this.unlinkHaEntity(e);
    }
    return removed;
  }

  /** The unit Home Assistant discovery announced for a value on this topic (raw, or at this JSON path). */
  haUnit(topic: string, path?: string): string | undefined {
    if (this.haTopics.size === 0) return undefined;
    const use = this.haTopics.get(topic);
    if (use === undefined) return undefined;
    for (const e of use.states) {
      if (e.unit === undefined) continue;
      if (path === undefined ? e.value.kind === 'raw' : e.value.kind === 'path' && e.value.path.join('.') === path) return e.unit;
    }
    return undefined;
  }

  putHomie(key: string, meta: Partial<HomieMeta>): void {
    const old = this.homie.get(key);
    if (old === undefined) {
      if (this.homie.size >= this.limits.homieProperties) return;
      this.homie.set(key, { ...meta });
    } else {
      Object.assign(old, meta);
    }
  }

  putZ2mUnits(friendlyName: string, units: Map<string, string>): void {
    if (!this.z2mUnits.has(friendlyName) && this.z2mUnits.size >= this.limits.z2mDevices) return;
    this.z2mUnits.set(friendlyName, units);
  }

  private useOf(topic: string): HaTopicUse {
    let use = this.haTopics.get(topic);
    if (use === undefined) {
      use = { states: [], availability: [], commands: [] };
      this.haTopics.set(topic, use);
    }
    return use;
  }

  private unlinkHaEntity(e: HaEntity): void {
    for (const topic of [e.stateTopic, e.availabilityTopic, e.commandTopic]) {
      if (topic === undefined) continue;
      const use = this.haTopics.get(topic);
      if (use === undefined) continue;
      use.states = use.states.filter((x) => x !== e);
      use.availability = use.availability.filter((x) => x !== e);
      use.commands = use.commands.filter((x) => x !== e);
      if (use.states.length === 0 && use.availability.length === 0 && use.commands.length === 0) this.haTopics.delete(topic);
    }
  }
}

/** A fresh context: one per parser (node), passed as ParseOptions.context. */
export function createProfileContext(limits?: Partial<ContextLimits>): ProfileContext {
  return new ProfileContext({ ...DEFAULT_CONTEXT_LIMITS, ...limits });
}
