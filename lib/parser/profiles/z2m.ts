/**
 * Zigbee2MQTT (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html), base topic
 * `zigbee2mqtt`:
 *  - `zigbee2mqtt/<friendly name>` JSON state: one reading per key (nested objects by dotted path,
 *    `ON`/`OFF` as booleans, null skipped: Zigbee2MQTT sends null for "not known yet"). Friendly
 *    names may contain `/` (`kitchen/floor_light`): everything after the base topic is the name.
 *    With `output: attribute`, `zigbee2mqtt/<name>/<attribute>` carries one plain value: a plain
 *    (non-JSON) payload is read that way, the last level being the attribute.
 *  - `…/availability`: `online`/`offline`, or `{"state":"online"}` when legacy payloads are off.
 *  - `…/set`, `…/set/<attr>`, `…/get`, `…/get/<attr>`: commands.
 *  - `zigbee2mqtt/bridge/state` (availability of the bridge), `bridge/info` (version, coordinator),
 *    `bridge/devices` (model, vendor, firmware, and the unit of every exposed property, learned
 *    into the context), `bridge/event` (joins, interviews, leaves); `bridge/request/…` are
 *    commands; the rest of `bridge/…` (logging, groups, responses…) is not telemetry: ignored.
 *  - `last_seen` (ISO-8601 or epoch ms, when enabled) is the reading time.
 */
import type { EntityInfo, ParseResult } from '../../model/reading';
import type { ProfileContext } from '../context';
import {
  addAvailability,
  addCommand,
  addDeletion,
  addDevice,
  addReading,
  cleanText,
  deviceRef,
  emptyPayloadReject,
  emptyResult,
  ignoredBy,
  isPlainObject,
  isReject,
  lenientJson,
  payloadDeviceRef,
  type Profile,
  type ProfileInput,
  refusedBy,
  reject,
  show,
  str,
  textPayloadValue,
  timeOf,
  unknownTopic,
} from './common';
import { flattenInto } from '../json-leaves';

const BASE = 'zigbee2mqtt';
const BRIDGE = 'bridge';
/** Entities listed per device in a DeviceInfo event; a few devices expose hundreds of options. */
const MAX_ENTITIES = 200;

/**
 * Units of the common exposes (https://www.zigbee2mqtt.io/guide/usage/exposes.html), used until
 * `bridge/devices` announced the device's own. `voltage` is absent on purpose: battery sensors
 * report mV, plugs V.
 */
const KNOWN_UNITS: Record<string, string> = {
  temperature: '°C',
  device_temperature: '°C',
  local_temperature: '°C',
  occupied_heating_setpoint: '°C',
  current_heating_setpoint: '°C',
  humidity: '%',
  soil_moisture: '%',
  battery: '%',
  position: '%',
  pressure: 'hPa',
  illuminance_lux: 'lx',
  power: 'W',
  energy: 'kWh',
  current: 'A',
  linkquality: 'lqi',
  co2: 'ppm',
  pm25: 'µg/m³',
  pm10: 'µg/m³',
  color_temp: 'mired',
};

const BRIDGE_NOT_TELEMETRY = new Set(['logging', 'log', 'config', 'groups', 'extensions', 'definitions', 'options', 'response', 'health', 'converters', 'networkmap']);

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const n = levels.length;
  if (n < 2 || levels[0] !== BASE) return refusedBy('z2m', unknownTopic('z2m', topic, 'zigbee2mqtt/<friendly name>[/availability|/set|/get]'));
  if (levels[1] === BRIDGE) return bridge(input);

  const last = levels[n - 1];
  const text = input.text.trim();
  if (n >= 3 && last === 'availability') {
    const ref = deviceRef('z2m', levels.slice(1, n - 1).join('/'), site);
    return availabilityOf(ref, text, now);
  }
  const setAt = last === 'set' || last === 'get' ? n - 1 : n >= 4 && (levels[n - 2] === 'set' || levels[n - 2] === 'get') ? n - 2 : -1;
  if (setAt >= 2) {
    const out = emptyResult('z2m');
    addCommand(out, deviceRef('z2m', levels.slice(1, setAt).join('/'), site), levels.slice(setAt).join('/'), input.text, topic, now);
    return out;
  }
  if (text.length === 0) return refusedBy('z2m', emptyPayloadReject('z2m', 'state (device removed or renamed)'));

  const out = emptyResult('z2m');
  const c0 = text.charCodeAt(0);
  if (c0 !== 0x7b /* { */) {
    if (n < 3 || c0 === 0x5b /* [ */) {
      return refusedBy('z2m', reject('value-invalid', `Zigbee2MQTT publishes device state as a JSON object, got ${show(text)} on ${show(topic)}`));
    }
    // output: attribute — zigbee2mqtt/<friendly name>/<attribute> with a plain value
    const ref = deviceRef('z2m', levels.slice(1, n - 1).join('/'), site);
    const v = textPayloadValue(text, last, { onOff: true });
    if (isReject(v)) out.rejects.push(v);
    else addReading(out, ref, last, v, { unit: unitOf(input.ctx, ref.device, last), ts: now, deviceTs: false });
    return out;
  }
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('z2m', json.reject);
  if (!isPlainObject(json.value)) return refusedBy('z2m', reject('value-invalid', `Zigbee2MQTT state is not a JSON object: ${show(text)}`));
  const obj = json.value;
  const ref = deviceRef('z2m', levels.slice(1).join('/'), site);
  const { ts, deviceTs } = obj.last_seen === undefined ? { ts: now, deviceTs: false } : timeOf(out, obj.last_seen, 'last_seen', now);
  flattenInto(out, ref, obj, '', {
    ts,
    deviceTs,
    onOff: true,
    skip: (key, path) => path === 'last_seen' || key === 'elapsed',
    unit: (key, path) => input.ctx?.z2mUnits.get(ref.device)?.get(path) ?? (path === key ? KNOWN_UNITS[key] : undefined),
  });
  if (out.readings.length === 0 && out.rejects.length === 0) return ignoredBy('z2m', 'the Zigbee2MQTT state holds no value (only nulls or lists)');
  return out;
}

function unitOf(ctx: ProfileContext | undefined, friendly: string, property: string): string | undefined {
  return ctx?.z2mUnits.get(friendly)?.get(property) ?? KNOWN_UNITS[property];
}

/** `online`/`offline` or `{"state":"online"}` (https://www.zigbee2mqtt.io/guide/configuration/device-availability.html). */
function availabilityOf(ref: ReturnType<typeof deviceRef>, text: string, now: number): ParseResult {
  if (text.length === 0) return refusedBy('z2m', emptyPayloadReject('z2m', 'availability'));
  let word = text;
  if (text.charCodeAt(0) === 0x7b) {
    const json = lenientJson(text);
    if (!json.ok) return refusedBy('z2m', json.reject);
    const state = isPlainObject(json.value) ? json.value.state : undefined;
    if (typeof state !== 'string') return refusedBy('z2m', reject('value-invalid', `Zigbee2MQTT availability JSON has no "state": ${show(text)}`));
    word = state;
  }
  const out = emptyResult('z2m');
  const lower = word.toLowerCase();
  addAvailability(out, ref, lower === 'online' ? 'online' : lower === 'offline' ? 'offline' : 'other', word, now);
  return out;
}

function bridge(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const ref = deviceRef('z2m', BRIDGE, site);
  const what = levels[2];
  const text = input.text.trim();
  if (what === 'request') {
    const out = emptyResult('z2m');
    addCommand(out, ref, levels.slice(2).join('/'), input.text, topic, now);
    return out;
  }
  if (what === undefined || BRIDGE_NOT_TELEMETRY.has(what)) {
    return ignoredBy('z2m', `zigbee2mqtt/${levels.slice(1).join('/')} is bridge management, not telemetry`);
  }
  if (what === 'state') return levels.length === 3 ? availabilityOf(ref, text, now) : ignoredBy('z2m', 'not a bridge state message');
  if (text.length === 0) return refusedBy('z2m', emptyPayloadReject('z2m', `bridge/${what}`));
  if (what !== 'info' && what !== 'devices' && what !== 'event') {
    return refusedBy('z2m', unknownTopic('z2m', topic, 'zigbee2mqtt/bridge/state|info|devices|event|request/…'));
  }
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('z2m', json.reject);
  const out = emptyResult('z2m');
  const v = json.value;
  if (what === 'info') {
    if (!isPlainObject(v)) return refusedBy('z2m', reject('value-invalid', 'zigbee2mqtt/bridge/info is not a JSON object'));
    const coordinator = isPlainObject(v.coordinator) ? v.coordinator : undefined;
    addDevice(out, ref, { name: 'Zigbee2MQTT bridge', firmware: str(v, 'version'), model: coordinator && str(coordinator, 'type') }, now);
    return out;
  }
  if (what === 'devices') {
    if (!Array.isArray(v)) return refusedBy('z2m', reject('value-invalid', 'zigbee2mqtt/bridge/devices is not a JSON array of devices'));
    for (const d of v) {
      if (!isPlainObject(d)) continue;
      const dref = payloadDeviceRef('z2m', str(d, 'friendly_name') ?? str(d, 'ieee_address') ?? '', site);
      if (dref === undefined) continue;
      const friendly = dref.device;
      const def = isPlainObject(d.definition) ? d.definition : undefined;
      const entities: EntityInfo[] = [];
      const units = new Map<string, string>();
      if (def && Array.isArray(def.exposes)) collectExposes(def.exposes, entities, units, 0);
      if (units.size > 0) input.ctx?.putZ2mUnits(friendly, units);
      addDevice(
        out,
        dref,
        {
          name: friendly,
          model: (def && str(def, 'model')) ?? str(d, 'model_id'),
          manufacturer: (def && str(def, 'vendor')) ?? str(d, 'manufacturer'),
          firmware: str(d, 'software_build_id'),
          mac: str(d, 'ieee_address'),
          entities: entities.slice(0, MAX_ENTITIES),
        },
        now,
      );
    }
    return out.devices ? out : ignoredBy('z2m', 'zigbee2mqtt/bridge/devices lists no device');
  }
  // event: {"type":"device_joined","data":{"friendly_name":…,"ieee_address":…}}
  if (!isPlainObject(v) || !isPlainObject(v.data)) return refusedBy('z2m', reject('value-invalid', `zigbee2mqtt/bridge/event has no data object: ${show(text)}`));
  const data = v.data;
  const dref = payloadDeviceRef('z2m', str(data, 'friendly_name') ?? str(data, 'ieee_address') ?? '', site);
  if (dref === undefined) return ignoredBy('z2m', 'the bridge event names no device');
  const friendly = dref.device;
  if (v.type === 'device_leave') {
    addDeletion(out, dref, 'the device left the Zigbee network (bridge/event device_leave)', now);
    return out;
  }
  const def = isPlainObject(data.definition) ? data.definition : undefined;
  addDevice(out, dref, { name: friendly, mac: str(data, 'ieee_address'), model: def && str(def, 'model'), manufacturer: def && str(def, 'vendor') }, now);
  return out;
}

/**
 * Walks exposes and their features; records the unit of each property. A composite's features sit
 * under its property in the state (`color_xy` → `color.x`), a specific expose's (light, switch) at the top.
 */
function collectExposes(exposes: unknown[], entities: EntityInfo[], units: Map<string, string>, depth: number, prefix = ''): void {
  if (depth > 4) return;
  for (const e of exposes) {
    if (!isPlainObject(e)) continue;
    const own = str(e, 'property');
    const property = own === undefined ? undefined : prefix + own;
    if (Array.isArray(e.features)) {
      collectExposes(e.features, entities, units, depth + 1, e.type === 'composite' && property !== undefined ? `${property}.` : prefix);
      continue;
    }
    if (property === undefined) continue;
    const unit = cleanText(str(e, 'unit'), 20);
    if (unit !== undefined) units.set(property, unit);
    if (entities.length < MAX_ENTITIES) {
      const info: EntityInfo = { attribute: property, component: str(e, 'type') };
      const name = str(e, 'label') ?? str(e, 'name');
      if (name !== undefined) info.name = name;
      if (unit !== undefined) info.unit = unit;
      if (isEnergyTotal(e, unit)) info.stateClass = 'total_increasing';
      entities.push(info);
    }
  }
}

/**
 * Exposes carry no state class; Zigbee2MQTT's own Home Assistant discovery calls `energy` and
 * `produced_energy` in watt-hours total_increasing, and so does this: the meter's running total.
 */
function isEnergyTotal(e: Record<string, unknown>, unit: string | undefined): boolean {
  const name = str(e, 'name') ?? str(e, 'property');
  return e.type === 'numeric' && (name === 'energy' || name === 'produced_energy') && unit !== undefined && /^[kM]?Wh$/i.test(unit);
}

export const z2m: Profile = {
  name: 'z2m',
  parse,
  deviceOf(levels, site) {
    const n = levels.length;
    if (n < 2 || levels[0] !== BASE) return undefined;
    if (levels[1] === BRIDGE) return deviceRef('z2m', BRIDGE, site);
    let end = n;
    if (levels[n - 1] === 'availability' || levels[n - 1] === 'set' || levels[n - 1] === 'get') end = n - 1;
    return end > 1 ? deviceRef('z2m', levels.slice(1, end).join('/'), site) : undefined;
  },
};
