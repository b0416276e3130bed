import type { SimAttribute, SimDevice } from './fleet';

/**
 * How the simulated devices speak when they run a real firmware instead of the Octopus format:
 * the topics and payloads of Tasmota, Zigbee2MQTT, Shelly Gen1, ESPHome and Homie v4, including
 * their availability messages and the command topics their actuators listen on.
 */
export type Dialect = 'octopus' | 'tasmota' | 'z2m' | 'shelly' | 'esphome' | 'homie' | 'ha' | 'owntracks';
export const DIALECTS: readonly Dialect[] = ['octopus', 'tasmota', 'z2m', 'shelly', 'esphome', 'homie', 'ha', 'owntracks'];

/** How the simulated firmware is set up, where it can be (issue #17). */
export interface DialectOptions {
  /**
   * Tasmota's FullTopic, e.g. `%topic%/%prefix%/` or `casa1/%prefix%/%topic%/` (default `%prefix%/%topic%/`),
   * and its prefixes as renamed with SetPrefix1–3 (default cmnd, stat, tele).
   */
  tasmotaFullTopic?: string;
  tasmotaPrefixes?: { cmnd: string; stat: string; tele: string };
}

/** A Tasmota topic as the device builds it: its FullTopic with %prefix% and %topic% filled, then the suffix. */
export function tasmotaTopic(prefix: 'cmnd' | 'stat' | 'tele', id: string, suffix: string, o?: DialectOptions): string {
  const full = (o?.tasmotaFullTopic ?? '%prefix%/%topic%/').replace(/\/*$/, '/');
  const p = o?.tasmotaPrefixes?.[prefix] ?? prefix;
  return `${full.replace('%prefix%', p).replace(/%(topic|hostname|id)%/, id)}${suffix}`;
}

export interface OutMessage {
  topic: string;
  payload: string;
  retain?: boolean;
}

/** The device's own id in its firmware: one word, unique in the fleet. */
export function nativeId(d: SimDevice): string {
  return `${d.site}-${d.room}-${d.device}`;
}

const onOff = (v: number | boolean) => (v ? 'ON' : 'OFF');
const tasmotaKey = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** What a device says when it comes online (retained, as the firmwares do). */
export function announce(dialect: Dialect, d: SimDevice, o?: DialectOptions): OutMessage[] {
  const id = nativeId(d);
  switch (dialect) {
    case 'tasmota':
      return [{ topic: tasmotaTopic('tele', id, 'LWT', o), payload: 'Online', retain: true }];
    case 'z2m':
      return [{ topic: `zigbee2mqtt/${id}/availability`, payload: '{"state":"online"}', retain: true }];
    case 'shelly':
      return [{ topic: `shellies/${id}/online`, payload: 'true', retain: true }];
    case 'esphome':
      return [{ topic: `${id}/status`, payload: 'online', retain: true }];
    case 'homie':
      return [
        { topic: `homie/${id}/$homie`, payload: '4.0.0', retain: true },
        { topic: `homie/${id}/$name`, payload: d.device, retain: true },
        { topic: `homie/${id}/$state`, payload: 'ready', retain: true },
      ];
    case 'ha':
      // Home Assistant MQTT discovery: one retained config per entity, naming its state topic.
      return d.attributes.map((a) => {
        const component = haComponent(a);
        const config: Record<string, unknown> = {
          name: a.name,
          unique_id: `${id}-${a.name}`,
          state_topic: haTopic(a, id, 'state'),
          device: { identifiers: [id], name: d.device, manufacturer: 'Octopus simulator' },
        };
        if (a.unit) config.unit_of_measurement = a.unit;
        if (component === 'switch') config.command_topic = haTopic(a, id, 'set');
        return { topic: `homeassistant/${component}/${id}/${a.name}/config`, payload: JSON.stringify(config), retain: true };
      });
    default:
      return [];
  }
}

/** What the broker says for a device that dropped off (its last will), where the firmware has one. */
export function farewell(dialect: Dialect, d: SimDevice, o?: DialectOptions): OutMessage[] {
  const id = nativeId(d);
  switch (dialect) {
    case 'tasmota':
      return [{ topic: tasmotaTopic('tele', id, 'LWT', o), payload: 'Offline', retain: true }];
    case 'z2m':
      return [{ topic: `zigbee2mqtt/${id}/availability`, payload: '{"state":"offline"}', retain: true }];
    case 'shelly':
      return [{ topic: `shellies/${id}/online`, payload: 'false', retain: true }];
    case 'esphome':
      return [{ topic: `${id}/status`, payload: 'offline', retain: true }];
    case 'homie':
      return [{ topic: `homie/${id}/$state`, payload: 'lost', retain: true }];
    default:
      return [];
  }
}

/** One attribute's current value in the dialect. `ts` is the publish time (epoch ms). */
export function report(dialect: Dialect, d: SimDevice, a: SimAttribute, ts: number, o?: DialectOptions): OutMessage {
  const id = nativeId(d);
  const v = a.value;
  switch (dialect) {
    case 'tasmota':
      if (a.controllable === 'switch') return { topic: tasmotaTopic('stat', id, 'POWER', o), payload: onOff(v) };
      return { topic: tasmotaTopic('tele', id, 'SENSOR', o), payload: JSON.stringify({ Time: new Date(ts).toISOString().slice(0, 19), SIM: { [tasmotaKey(a.name)]: v } }) };
    case 'z2m':
      return { topic: `zigbee2mqtt/${id}`, payload: JSON.stringify({ [a.name === 'on' ? 'state' : a.name]: a.name === 'on' ? onOff(v) : v, linkquality: 120 }) };
    case 'shelly':
      if (a.controllable === 'switch') return { topic: `shellies/${id}/relay/0`, payload: v ? 'on' : 'off' };
      return { topic: `shellies/${id}/sensor/${a.name}`, payload: String(v) };
    case 'esphome':
      if (typeof v === 'boolean') return { topic: `${id}/${a.controllable ? 'switch' : 'binary_sensor'}/${a.name}/state`, payload: onOff(v) };
      return { topic: `${id}/sensor/${a.name}/state`, payload: String(v) };
    case 'homie':
      return { topic: `homie/${id}/sim/${a.name}`, payload: String(v) };
    case 'ha':
      return { topic: haTopic(a, id, 'state'), payload: typeof v === 'boolean' ? onOff(v) : String(v) };
    case 'owntracks': {
      // A phone reports where it is: a point that wanders around the house's place.
      const seed = [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
      const lat = 40.4 + (seed % 1000) / 100000 + Math.sin(ts / 600_000) / 1000;
      const lon = -3.7 + (seed % 777) / 100000 + Math.cos(ts / 600_000) / 1000;
      const batt = 20 + (seed % 80);
      return { topic: `owntracks/${d.site}/${id}`, payload: JSON.stringify({ _type: 'location', lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6, acc: 12, batt, tst: Math.floor(ts / 1000) }) };
    }
    default:
      return { topic: `${d.site}/${d.room}/${d.device}/${a.name}`, payload: JSON.stringify(a.unit ? { value: v, unit: a.unit } : { value: v }) };
  }
}

/** The topic an actuator listens on for a command to `a`, and how to read the command's payload. */
export function commandTopic(dialect: Dialect, d: SimDevice, a: SimAttribute, o?: DialectOptions): string {
  const id = nativeId(d);
  switch (dialect) {
    case 'tasmota':
      return tasmotaTopic('cmnd', id, 'POWER', o);
    case 'z2m':
      return `zigbee2mqtt/${id}/set`;
    case 'shelly':
      return `shellies/${id}/relay/0/command`;
    case 'esphome':
      return `${id}/switch/${a.name}/command`;
    case 'homie':
      return `homie/${id}/sim/${a.name}/set`;
    case 'ha':
      return haTopic(a, id, 'set');
    default:
      return `${d.site}/${d.room}/${d.device}/${a.name}/set`;
  }
}

/** Turns a dialect's command payload into the text the actuator model takes (`on`, `off`, `40`). */
export function commandValue(dialect: Dialect, payload: string): string {
  if (dialect !== 'z2m') return payload;
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    const v = body.state ?? body.on ?? Object.values(body)[0];
    return String(v);
  } catch {
    return payload;
  }
}

/**
 * A Home Assistant entity's state and command topics, on HA's default naming
 * (`homeassistant/<component>/<node_id>/<object_id>/state`): the operator's own tree, not a house's.
 */
function haComponent(a: { controllable?: string; value: unknown }): 'switch' | 'binary_sensor' | 'sensor' {
  return a.controllable === 'switch' ? 'switch' : typeof a.value === 'boolean' ? 'binary_sensor' : 'sensor';
}

function haTopic(a: { name: string; controllable?: string; value: unknown }, id: string, kind: 'state' | 'set'): string {
  return `homeassistant/${haComponent(a)}/${id}/${a.name}/${kind}`;
}
