/**
 * The Homie convention v4 (https://homieiot.github.io/specification/spec-core-v4_0_0/), base topic
 * `homie`:
 *  - `homie/<device>/$state`: availability — `ready` online; `disconnected`, `lost` offline;
 *    `init`, `sleeping`, `alert` other (the word is kept in `native`).
 *  - `homie/<device>/$name`, `$implementation`, `$nodes`, legacy `$fw/*`, `$localip`, `$mac`:
 *    device metadata. `$stats/<x>` (legacy stats extension): readings `stats.<x>`.
 *  - `homie/<device>/<node>/$name|$type|$properties`: metadata (the node's properties as entities).
 *  - `homie/<device>/<node>/<property>`: a reading `<node>.<property>`, typed by the property's
 *    `$datatype` and with its `$unit` when those were seen (they are kept in the context);
 *    otherwise a number, true/false or text by its syntax.
 *  - `…/<property>/$datatype|$unit|$name|$format|$settable|$retained`: metadata, remembered.
 *  - `…/<property>/set`: a command. `homie/$broadcast/…`: a controller's broadcast, ignored.
 * An empty `$homie` is the device being removed (a deletion); empty values elsewhere clear retained
 * attributes of a removed device: ignored.
 */
import type { AvailabilityState, EntityInfo, ParseResult, ReadingValue, Reject } from '../../model/reading';
import {
  addAvailability,
  addCommand,
  addDeletion,
  addDevice,
  addReading,
  cleanText,
  deviceRef,
  emptyResult,
  ignoredBy,
  isReject,
  type Profile,
  type ProfileInput,
  refusedBy,
  reject,
  show,
  textPayloadValue,
  unknownTopic,
} from './common';
import { textValue } from '../parse-values';

const BASE = 'homie';

const STATES: Record<string, AvailabilityState> = {
  ready: 'online',
  init: 'other',
  disconnected: 'offline',
  sleeping: 'other',
  lost: 'offline',
  alert: 'other',
};

const STATS_UNITS: Record<string, string> = { uptime: 's', signal: '%', cputemp: '°C', battery: '%', freeheap: 'B', supply: 'V', interval: 's' };

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const n = levels.length;
  if (n < 3 || levels[0] !== BASE) return refusedBy('homie', unknownTopic('homie', topic, 'homie/<device>/<node>/<property> or homie/<device>/$<attribute>'));
  if (levels[1] === '$broadcast') return ignoredBy('homie', 'a Homie broadcast is a controller talking to every device, not telemetry');
  const device = levels[1];
  const ref = deviceRef('homie', device, site);
  const text = input.text;
  const out = emptyResult('homie');
  const a2 = levels[2];

  if (a2.startsWith('$')) {
    // device attributes
    if (text.length === 0) {
      if (a2 === '$homie' && n === 3) {
        addDeletion(out, ref, 'the Homie device was removed (its $homie attribute was cleared)', now);
        return out;
      }
      return ignoredBy('homie', `an empty ${levels.slice(2).join('/')} clears a retained attribute of a removed Homie device`);
    }
    if (a2 === '$state' && n === 3) {
      const state = STATES[text];
      if (state === undefined) return refusedBy('homie', reject('value-invalid', `Homie $state ${show(text)} is not one of init, ready, disconnected, sleeping, lost, alert`));
      addAvailability(out, ref, state, text, now);
      return out;
    }
    if (a2 === '$stats' && n === 4) {
      const attribute = `stats.${levels[3]}`;
      const v = textPayloadValue(text, attribute);
      if (isReject(v)) out.rejects.push(v);
      else addReading(out, ref, attribute, v, { unit: typeof v === 'number' ? STATS_UNITS[levels[3]] : undefined, ts: now, deviceTs: false });
      return out;
    }
    const key = levels.slice(2).join('/');
    switch (key) {
      case '$name':
        addDevice(out, ref, { name: text }, now);
        break;
      case '$implementation':
        addDevice(out, ref, { hardware: text }, now);
        break;
      case '$fw/version':
        addDevice(out, ref, { firmware: text }, now);
        break;
      case '$fw/name':
        addDevice(out, ref, { model: text }, now);
        break;
      case '$localip':
        addDevice(out, ref, { ip: text }, now);
        break;
      case '$mac':
        addDevice(out, ref, { mac: text }, now);
        break;
      case '$nodes':
        addDevice(out, ref, { entities: list(text).map((node): EntityInfo => ({ attribute: node })) }, now);
        break;
      default:
        // $homie (the convention version), $extensions, $stats/interval…: nothing the registry keeps
        return ignoredBy('homie', `Homie ${key} is convention metadata the registry does not keep`);
    }
    return out.devices ? out : ignoredBy('homie', `Homie ${key} is empty`);
  }

  const node = a2;
  if (n === 4 && levels[3].startsWith('$')) {
    if (text.length === 0) return ignoredBy('homie', `an empty ${levels.slice(2).join('/')} clears a retained attribute of a removed Homie node`);
    if (levels[3] === '$properties') {
      addDevice(out, ref, { entities: list(text).map((p): EntityInfo => ({ attribute: `${node}.${p}`, ...meta(input, device, node, p) })) }, now);
    } else if (levels[3] === '$name') {
      addDevice(out, ref, { entities: [{ attribute: node, name: text }] }, now);
    } else if (levels[3] === '$type') {
      addDevice(out, ref, { entities: [{ attribute: node, component: text }] }, now);
    } else {
      return ignoredBy('homie', `Homie node attribute ${levels[3]} is not kept`);
    }
    return out.devices ? out : ignoredBy('homie', `Homie ${levels[3]} is empty`);
  }
  if (n === 4) return propertyValue(input, ref, node, levels[3], out);
  if (n === 5) {
    const property = levels[3];
    const attr = levels[4];
    if (attr === 'set') {
      addCommand(out, ref, `${node}/${property}/set`, text, topic, now);
      return out;
    }
    if (attr.startsWith('$')) {
      if (text.length === 0) return ignoredBy('homie', `an empty ${attr} clears a retained attribute of a removed Homie property`);
      const key = `${device}/${node}/${property}`;
      const attribute = `${node}.${property}`;
      const clean = cleanText(text);
      if (clean === undefined) return ignoredBy('homie', `Homie ${attr} of ${attribute} is blank`);
      if (attr === '$datatype') input.ctx?.putHomie(key, { datatype: clean });
      else if (attr === '$unit') input.ctx?.putHomie(key, { unit: clean });
      else if (attr === '$name') input.ctx?.putHomie(key, { name: clean });
      else return ignoredBy('homie', `Homie property attribute ${attr} is not kept`);
      const info: EntityInfo = { attribute };
      if (attr === '$datatype') info.datatype = clean;
      if (attr === '$unit') info.unit = clean;
      if (attr === '$name') info.name = clean;
      addDevice(out, ref, { entities: [info] }, now);
      return out;
    }
  }
  return refusedBy('homie', unknownTopic('homie', topic, 'homie/<device>/<node>/<property>[/set|/$attribute]'));
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .slice(0, 200);
}

function meta(input: ProfileInput, device: string, node: string, property: string): Partial<EntityInfo> {
  const m = input.ctx?.homie.get(`${device}/${node}/${property}`);
  const info: Partial<EntityInfo> = {};
  if (m?.name !== undefined) info.name = m.name;
  if (m?.unit !== undefined) info.unit = m.unit;
  if (m?.datatype !== undefined) info.datatype = m.datatype;
  return info;
}

function propertyValue(input: ProfileInput, ref: ReturnType<typeof deviceRef>, node: string, property: string, out: ParseResult): ParseResult {
  const attribute = `${node}.${property}`;
  const m = input.ctx?.homie.get(`${ref.device}/${node}/${property}`);
  if (input.text.length === 0) return refusedBy('homie', reject('payload-empty', `the payload of Homie property ${show(attribute)} is empty (an empty retained value deletes it; Homie v4 allows no empty value except for strings, which the store cannot keep)`, attribute));
  const v = typed(input.text, attribute, m?.datatype);
  if (isReject(v)) {
    out.rejects.push(v);
    return out;
  }
  addReading(out, ref, attribute, v, { unit: m?.unit !== undefined && m.unit.length > 0 ? m.unit : undefined, ts: input.now, deviceTs: false });
  return out;
}

/** A property payload by its `$datatype` (spec "Payloads"); by its syntax when the datatype is unknown. */
function typed(text: string, attribute: string, datatype: string | undefined): ReadingValue | Reject {
  switch (datatype) {
    case 'integer':
    case 'float': {
      const v = textPayloadValue(text, attribute);
      if (isReject(v) || typeof v === 'number') return v;
      return reject('value-invalid', `Homie ${datatype} property ${show(attribute)} has the payload ${show(text)}, which is not a number`, attribute);
    }
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      return reject('value-invalid', `Homie boolean property ${show(attribute)} has the payload ${show(text)}; only "true" and "false" are booleans`, attribute);
    case 'string':
    case 'enum':
    case 'color':
    case 'datetime':
    case 'duration':
      // text stays text even when it looks like a number (an enum "1", a colour "255,0,0")
      return textValue(text, `Homie ${datatype} property ${show(attribute)}`, attribute);
    default:
      return textPayloadValue(text, attribute);
  }
}

export const homie: Profile = {
  name: 'homie',
  parse,
  deviceOf(levels, site) {
    return levels.length >= 3 && levels[0] === BASE && !levels[1].startsWith('$') ? deviceRef('homie', levels[1], site) : undefined;
  },
};
