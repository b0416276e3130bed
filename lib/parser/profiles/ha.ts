/**
 * Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery),
 * prefix `homeassistant`. Stateful: what was announced lives in the ProfileContext passed in.
 *  - `homeassistant/<component>/[<node_id>/]<object_id>/config` with a JSON config registers an
 *    entity: name, unit, device class, state topic and how its value is read (`{{ value }}`,
 *    `{{ value_json.a.b }}`, `{{ value_json['a'] }}`, with `| float`, `| int`, `| round(n)`), its
 *    availability and command topics. Abbreviations (`stat_t`, `unit_of_meas`, `dev`…) and the `~`
 *    base topic are expanded. Device-based configs (`homeassistant/device/<id>/config` with `cmps`)
 *    register each component. A DeviceInfo event reports the device and its entities.
 *  - An empty (retained) config removes the entity: a deletion event.
 *  - Messages on announced topics: state topics give readings, availability topics availability
 *    events, command topics commands. Only topics no profile listed earlier claims come here
 *    (Tasmota, Zigbee2MQTT, ESPHome, Shelly publish discovery for their own topics, and are read by
 *    their own profile first in the default order); discovery still links their entities to the
 *    device id that profile gives, so registry and readings agree.
 *  - `homeassistant/status` (Home Assistant's own birth message): ignored.
 */
import type { DeviceRef, EntityInfo, ParseResult, ReadingValue, Reject } from '../../model/reading';
import type { HaEntity, HaFilter, HaValue } from '../context';
import {
  addAvailability,
  addCommand,
  addDeletion,
  addDevice,
  addReading,
  cleanText,
  deviceRef,
  keyProblem,
  emptyResult,
  ignoredBy,
  isPlainObject,
  isReject,
  jsonReadingValue,
  lenientJson,
  type Profile,
  type ProfileInput,
  refusedBy,
  reject,
  show,
  str,
  textPayloadValue,
  unknownTopic,
} from './common';
import { ABBREVIATIONS, DEVICE_ABBREVIATIONS, expand } from './ha-abbreviations';
import { BINARY_COMPONENTS, defaultTopic, noteUnannounced } from './ha-default';

const BASE = 'homeassistant';

/** `~` at the start or end of a topic stands for the config's base topic. */
function topicOf(v: unknown, base: string | undefined): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  if (base === undefined) return v;
  if (v.startsWith('~')) return base + v.slice(1);
  if (v.endsWith('~')) return v.slice(0, -1) + base;
  return v;
}

const TEMPLATE = /^\{\{\s*(value_json|value)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*(?:'[^']*'|"[^"]*"|\d+)\s*\])*)\s*((?:\|\s*[a-z_]+(?:\(\s*-?[\d.]*\s*\))?\s*)*)\}\}$/;
const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/g;
const FILTER = /^([a-z_]+)(?:\(\s*(-?[\d.]*)\s*\))?$/;

/** Reads the simple, common value templates; anything else is kept as unsupported. */
export function parseValueTemplate(template: unknown): HaValue {
  if (template === undefined || template === null) return { kind: 'raw' };
  if (typeof template !== 'string') return { kind: 'unsupported', template: String(template) };
  const t = template.trim();
  const m = TEMPLATE.exec(t);
  if (!m) return { kind: 'unsupported', template: t };
  const filters: HaFilter[] = [];
  for (const part of m[3].split('|')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const f = FILTER.exec(p);
    if (!f) return { kind: 'unsupported', template: t };
    if (f[1] === 'float') filters.push({ name: 'float' });
    else if (f[1] === 'int') filters.push({ name: 'int' });
    else if (f[1] === 'round') filters.push({ name: 'round', digits: f[2] ? Math.min(10, Math.max(0, Math.trunc(Number(f[2])))) : 0 });
    else return { kind: 'unsupported', template: t };
  }
  if (m[1] === 'value') return m[2].length === 0 ? { kind: 'raw' } : { kind: 'unsupported', template: t };
  const path: string[] = [];
  for (const s of m[2].matchAll(SEGMENT)) path.push(s[1] ?? s[2] ?? s[3] ?? s[4]);
  // the path becomes the attribute name: it must be one
  if (path.length === 0 || path.some((p) => keyProblem(p) !== undefined)) return { kind: 'unsupported', template: t };
  return { kind: 'path', path, filters };
}

interface Discovery {
  component: string;
  nodeId?: string;
  objectId: string;
}

function discoveryOf(levels: readonly string[]): Discovery | undefined {
  const n = levels.length;
  if (levels[n - 1] !== 'config') return undefined;
  if (n === 4) return { component: levels[1], objectId: levels[2] };
  if (n === 5) return { component: levels[1], nodeId: levels[2], objectId: levels[3] };
  return undefined;
}

function parse(input: ProfileInput): ParseResult {
  const { topic, levels } = input;
  if (levels[0] === BASE) {
    if (levels.length === 2 && levels[1] === 'status') return ignoredBy('ha', 'homeassistant/status is Home Assistant announcing itself, not a device');
    const d = discoveryOf(levels);
    if (d !== undefined) return discovery(input, d);
  }
  const use = input.ctx?.haTopics.get(topic);
  if (use === undefined) {
    const byDefault = levels[0] === BASE ? defaultTopic(input) : undefined;
    if (byDefault !== undefined) return byDefault;
    return refusedBy(
      'ha',
      unknownTopic('ha', topic, 'homeassistant/<component>/[<node_id>/]<object_id>/config, or a state topic a discovery config announced (none announced this one yet)'),
    );
  }
  const out = emptyResult('ha');
  const text = input.text;
  if (use.states.length > 0) states(input, use.states, out);
  // several entities of one device share availability and command topics: one event per device
  const told = new Set<string>();
  for (const e of use.availability) {
    if (told.has(e.ref.deviceId)) continue;
    told.add(e.ref.deviceId);
    const t = text.trim();
    addAvailability(out, e.ref, t === e.payloadAvailable ? 'online' : t === e.payloadNotAvailable ? 'offline' : 'other', t, input.now);
  }
  const commanded = new Set<string>();
  for (const e of use.commands) {
    if (commanded.has(e.ref.deviceId)) continue;
    commanded.add(e.ref.deviceId);
    addCommand(out, e.ref, `${e.component}/${e.objectId}`, text, topic, input.now);
  }
  return out.readings.length || out.rejects.length || out.availability || out.commands ? out : ignoredBy('ha', 'no announced entity has a value in this payload');
}

function states(input: ProfileInput, entities: HaEntity[], out: ParseResult): void {
  const text = input.text.trim();
  if (text.length === 0) {
    out.rejects.push(reject('payload-empty', 'the payload is empty: an empty retained message clears the state; it is a deletion, not a reading'));
    return;
  }
  let json: unknown;
  let jsonProblem: Reject | undefined;
  for (const e of entities) {
    let raw: unknown;
    if (e.value.kind === 'unsupported') {
      out.rejects.push(
        reject(
          'value-invalid',
          `the value template ${show(e.value.template)} of ${show(e.attribute)} is not one the parser evaluates ({{ value }}, {{ value_json.a.b }}, {{ value_json['a'] }} with | float, | int, | round(n))`,
          e.attribute,
        ),
      );
      continue;
    }
    if (e.value.kind === 'raw') raw = text;
    else {
      if (json === undefined && jsonProblem === undefined) {
        const parsed = lenientJson(text);
        if (parsed.ok) json = parsed.value;
        else jsonProblem = parsed.reject;
      }
      if (jsonProblem !== undefined) continue;
      raw = walk(json, e.value.path);
      // a shared state topic carries only some entities' keys at a time: the others are skipped
      if (raw === undefined) continue;
    }
    const v = entityValue(e, raw);
    if (v === undefined) continue;
    if (isReject(v)) out.rejects.push(v);
    else addReading(out, e.ref, e.attribute, v, { unit: typeof v === 'number' ? e.unit : undefined, ts: input.now, deviceTs: false });
  }
  if (jsonProblem !== undefined) out.rejects.push(jsonProblem);
  else if (json !== undefined) noteUnannounced(json, entities);
}

function walk(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (Array.isArray(cur) && /^\d+$/.test(key)) cur = cur[Number(key)];
    else if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, key)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

function entityValue(e: HaEntity, raw: unknown): ReadingValue | Reject | undefined {
  if (typeof raw === 'string' && e.on !== undefined && raw === e.on) return true;
  if (typeof raw === 'string' && e.off !== undefined && raw === e.off) return false;
  let v: ReadingValue | Reject | undefined = typeof raw === 'string' ? textPayloadValue(raw, e.attribute) : jsonReadingValue(raw, e.attribute);
  if (v === undefined || isReject(v) || e.value.kind !== 'path') return v;
  for (const f of e.value.filters) {
    const n: number = Number(v);
    if (!Number.isFinite(n)) return reject('value-invalid', `the value ${show(String(v))} of ${show(e.attribute)} is not a number, as its template's | ${f.name} requires`, e.attribute);
    if (f.name === 'float') v = n;
    else if (f.name === 'int') v = Math.trunc(n);
    else v = Math.round(n * 10 ** f.digits) / 10 ** f.digits;
  }
  return v;
}

function discovery(input: ProfileInput, d: Discovery): ParseResult {
  const { topic, now, site, ctx } = input;
  const out = emptyResult('ha');
  const text = input.text.trim();
  if (text.length === 0) {
    const removed = ctx?.removeHaEntities(topic) ?? [];
    if (removed.length === 0) {
      addDeletion(out, deviceRef('ha', d.nodeId ?? d.objectId, site), 'an empty discovery config removes the entity', now, d.objectId);
    }
    for (const e of removed) addDeletion(out, e.ref, 'an empty discovery config removes the entity', now, e.uniqueId ?? e.objectId);
    return out;
  }
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('ha', json.reject);
  if (!isPlainObject(json.value)) return refusedBy('ha', reject('value-invalid', `a discovery config is a JSON object, got ${show(text)}`));
  const config = expand(json.value, ABBREVIATIONS);
  const device = isPlainObject(config.device) ? expand(config.device, DEVICE_ABBREVIATIONS) : undefined;

  // device-based discovery: shared options at the top, one entry per component in cmps
  const components: Array<{ key: string; objectId: string; component: string; config: Record<string, unknown> }> = [];
  if (d.component === 'device') {
    const cmps = config.cmps ?? config.components;
    if (!isPlainObject(cmps)) return refusedBy('ha', reject('value-invalid', 'a device discovery config needs a cmps object of components'));
    const shared: Record<string, unknown> = {};
    for (const key of Object.keys(config)) if (key !== 'cmps' && key !== 'components' && key !== 'device' && key !== 'o' && key !== 'origin') shared[key] = config[key];
    for (const id of Object.keys(cmps).slice(0, 500)) {
      const c = cmps[id];
      if (!isPlainObject(c)) continue;
      const problem = keyProblem(id);
      if (problem !== undefined) {
        out.rejects.push(reject('attribute-invalid', `component id ${show(id)} ${problem}; it names the entity's attribute`, cleanText(id) ?? '?'));
        continue;
      }
      const merged = { ...shared, ...expand(c, ABBREVIATIONS) };
      const platform = str(merged, 'platform');
      if (platform === undefined) continue;
      components.push({ key: `${topic}#${id}`, objectId: id, component: platform, config: merged });
    }
    ctx?.removeHaEntities(topic); // components dropped from the new config go away
  } else {
    components.push({ key: topic, objectId: d.objectId, component: d.component, config });
  }

  const native = nativeDeviceId(device, d, components[0]?.config);
  const entities: EntityInfo[] = [];
  let ref: DeviceRef | undefined;
  for (const c of components) {
    const e = entityOf(input, c, native);
    if (ref === undefined) ref = e.ref;
    const info: EntityInfo = { attribute: e.attribute, component: e.component };
    if (e.name !== undefined) info.name = e.name;
    if (e.unit !== undefined) info.unit = e.unit;
    if (e.deviceClass !== undefined) info.deviceClass = e.deviceClass;
    // measurement / total / total_increasing: what kind of quantity it is (lib/energy/announced-class.ts)
    const stateClass = cleanText(str(c.config, 'state_class'), 40);
    if (stateClass !== undefined) info.stateClass = stateClass;
    if (e.stateTopic !== undefined) info.stateTopic = e.stateTopic;
    if (e.commandTopic !== undefined) info.commandTopic = e.commandTopic;
    if (e.uniqueId !== undefined) info.uniqueId = e.uniqueId;
    entities.push(info);
    if (ctx !== undefined && !ctx.putHaEntity(e)) {
      out.rejects.push(reject('value-invalid', `the discovery table is full (${ctx.limits.haEntities} entities); ${show(c.key)} was not registered`, e.attribute));
    }
  }
  addDevice(
    out,
    ref ?? deviceRef('ha', native, site),
    {
      name: device && str(device, 'name'),
      model: device && (str(device, 'model') ?? str(device, 'model_id')),
      manufacturer: device && str(device, 'manufacturer'),
      firmware: device && str(device, 'sw_version'),
      hardware: device && str(device, 'hw_version'),
      mac: macOf(device),
      entities,
    },
    now,
  );
  return out.devices || out.rejects.length ? out : ignoredBy('ha', 'the discovery config announces no entity');
}

function listOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
  return [];
}

function macOf(device: Record<string, unknown> | undefined): string | undefined {
  if (device === undefined || !Array.isArray(device.connections)) return undefined;
  for (const c of device.connections) {
    if (Array.isArray(c) && c[0] === 'mac' && typeof c[1] === 'string') return c[1];
  }
  return undefined;
}

/** The device's id: its first identifier, else a connection, else the node id, unique id or object id. */
function nativeDeviceId(device: Record<string, unknown> | undefined, d: Discovery, first: Record<string, unknown> | undefined): string {
  const ids = device ? listOf(device.identifiers) : [];
  const candidates = [ids[0], macOf(device), d.nodeId, first && str(first, 'unique_id')];
  for (const c of candidates) {
    const id = cleanText(c);
    if (id !== undefined) return id;
  }
  return d.objectId;
}

function entityOf(input: ProfileInput, c: { key: string; objectId: string; component: string; config: Record<string, unknown> }, native: string): HaEntity {
  const cfg = c.config;
  const base = typeof cfg['~'] === 'string' ? cfg['~'] : undefined;
  const stateTopic = topicOf(cfg.state_topic, base);
  const value = parseValueTemplate(cfg.value_template);
  let availabilityTopic = topicOf(cfg.availability_topic, base);
  let payloadAvailable = str(cfg, 'payload_available') ?? 'online';
  let payloadNotAvailable = str(cfg, 'payload_not_available') ?? 'offline';
  if (availabilityTopic === undefined && Array.isArray(cfg.availability)) {
    const first = cfg.availability[0];
    if (isPlainObject(first)) {
      const a = expand(first, ABBREVIATIONS);
      availabilityTopic = topicOf(a.topic, base);
      payloadAvailable = str(a, 'payload_available') ?? payloadAvailable;
      payloadNotAvailable = str(a, 'payload_not_available') ?? payloadNotAvailable;
    }
  }
  const resolved = stateTopic === undefined ? undefined : input.resolve(stateTopic);
  const ref = resolved ?? deviceRef('ha', native, input.site);
  const e: HaEntity = {
    key: c.key,
    component: c.component,
    objectId: c.objectId,
    ref,
    attribute: value.kind === 'path' ? value.path.join('.') : c.objectId,
    value,
    payloadAvailable,
    payloadNotAvailable,
  };
  const unique = cleanText(str(cfg, 'unique_id'));
  if (unique !== undefined) e.uniqueId = unique;
  const name = cleanText(str(cfg, 'name'));
  if (name !== undefined) e.name = name;
  const unit = cleanText(str(cfg, 'unit_of_measurement'), 20);
  if (unit !== undefined) e.unit = unit;
  const cls = cleanText(str(cfg, 'device_class'));
  if (cls !== undefined) e.deviceClass = cls;
  if (stateTopic !== undefined) e.stateTopic = stateTopic;
  if (availabilityTopic !== undefined) e.availabilityTopic = availabilityTopic;
  const commandTopic = topicOf(cfg.command_topic, base);
  if (commandTopic !== undefined) e.commandTopic = commandTopic;
  if (BINARY_COMPONENTS.has(c.component)) {
    e.on = str(cfg, 'state_on') ?? str(cfg, 'payload_on') ?? 'ON';
    e.off = str(cfg, 'state_off') ?? str(cfg, 'payload_off') ?? 'OFF';
  }
  return e;
}

export const ha: Profile = {
  name: 'ha',
  parse,
  deviceOf(levels, site) {
    const d = levels[0] === BASE ? discoveryOf(levels) : undefined;
    return d === undefined ? undefined : deviceRef('ha', d.nodeId ?? d.objectId, site);
  },
};
