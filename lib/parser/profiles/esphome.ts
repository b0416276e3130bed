/**
 * ESPHome's MQTT client (https://esphome.io/components/mqtt.html): topics under the node's
 * `topic_prefix` (the node name by default, possibly several levels):
 *  - `<prefix>/<component>/<object_id>/state`: the entity's state. Sensors send a number, or `nan`
 *    (`None` with `publish_nan_as_none`) when they have no reading: refused as not finite.
 *    Binary sensors, switches, fans, locks send `ON`/`OFF`: booleans. Lights send JSON
 *    (`{"state":"ON","brightness":255}`): one reading per key under the object id.
 *  - `<prefix>/<component>/<object_id>/<sub>/state` (climate `mode`, `current_temperature`…):
 *    attribute `<object_id>.<sub>`.
 *  - `…/command`: a command. `<node>/status` (`online`/`offline`, the birth and last-will
 *    messages): availability. `<node>/debug`: the log, ignored.
 * ESPHome does not put units on the state topic; when the node's Home Assistant discovery
 * config was seen (same context), its `unit_of_measurement` is used.
 */
import type { ParseResult } from '../../model/reading';
import {
  addAvailability,
  addCommand,
  addReading,
  deviceRef,
  emptyPayloadReject,
  emptyResult,
  ignoredBy,
  isPlainObject,
  isReject,
  lenientJson,
  type Profile,
  type ProfileInput,
  refusedBy,
  reject,
  show,
  textPayloadValue,
  unknownTopic,
} from './common';
import { flattenInto } from '../json-leaves';

/** ESPHome entity components that can have MQTT state topics. */
export const ESPHOME_COMPONENTS = new Set([
  'sensor',
  'binary_sensor',
  'switch',
  'light',
  'fan',
  'cover',
  'text_sensor',
  'climate',
  'number',
  'select',
  'lock',
  'valve',
  'button',
  'text',
  'event',
  'update',
  'alarm_control_panel',
  'datetime',
  'date',
  'time',
]);

const ON_OFF_COMPONENTS = new Set(['binary_sensor', 'switch', 'fan', 'lock', 'light']);
/** ESPHome's `publish_nan_as_none` spelling of NaN. */
const NO_VALUE = new Set(['None']);

interface Located {
  prefix: string;
  component: string;
  object: string;
  sub?: string;
  kind: 'state' | 'command';
}

function locate(levels: readonly string[]): Located | undefined {
  const n = levels.length;
  const last = levels[n - 1];
  if (last !== 'state' && last !== 'command') return undefined;
  if (n >= 4 && ESPHOME_COMPONENTS.has(levels[n - 3])) {
    return { prefix: levels.slice(0, n - 3).join('/'), component: levels[n - 3], object: levels[n - 2], kind: last };
  }
  if (n >= 5 && ESPHOME_COMPONENTS.has(levels[n - 4])) {
    return { prefix: levels.slice(0, n - 4).join('/'), component: levels[n - 4], object: levels[n - 3], sub: levels[n - 2], kind: last };
  }
  return undefined;
}

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const text = input.text.trim();
  if (levels.length === 2 && (levels[1] === 'status' || levels[1] === 'debug')) {
    if (levels[1] === 'debug') return ignoredBy('esphome', 'the ESPHome log (<node>/debug) is not telemetry');
    if (text.length === 0) return refusedBy('esphome', emptyPayloadReject('esphome', 'status'));
    const out = emptyResult('esphome');
    addAvailability(out, deviceRef('esphome', levels[0], site), text === 'online' ? 'online' : text === 'offline' ? 'offline' : 'other', text, now);
    return out;
  }
  const at = locate(levels);
  if (at === undefined) return refusedBy('esphome', unknownTopic('esphome', topic, '<node>/<component>/<object_id>/state|command or <node>/status'));
  const ref = deviceRef('esphome', at.prefix, site);
  const attribute = at.sub === undefined ? at.object : `${at.object}.${at.sub}`;
  const out = emptyResult('esphome');
  if (at.kind === 'command') {
    addCommand(out, ref, `${at.component}/${at.object}${at.sub === undefined ? '' : `/${at.sub}`}/command`, input.text, topic, now);
    return out;
  }
  if (text.length === 0) return refusedBy('esphome', emptyPayloadReject('esphome', `${at.component} state`));
  if (text.charCodeAt(0) === 0x7b /* { */) {
    // light (and fan) JSON schema
    const json = lenientJson(text);
    if (!json.ok) return refusedBy('esphome', json.reject);
    if (!isPlainObject(json.value)) return refusedBy('esphome', reject('value-invalid', `ESPHome state is not a JSON object: ${show(text)}`));
    flattenInto(out, ref, json.value, attribute, { ts: now, deviceTs: false, onOff: true });
    return out.readings.length || out.rejects.length ? out : ignoredBy('esphome', 'the ESPHome state holds no value');
  }
  const v = textPayloadValue(text, attribute, { onOff: ON_OFF_COMPONENTS.has(at.component), noValueWords: at.component === 'sensor' ? NO_VALUE : undefined });
  if (isReject(v)) {
    out.rejects.push(v);
    return out;
  }
  const unit = typeof v === 'number' ? input.ctx?.haUnit(topic) : undefined;
  addReading(out, ref, attribute, v, { unit, ts: now, deviceTs: false });
  return out;
}

export const esphome: Profile = {
  name: 'esphome',
  parse,
  deviceOf(levels, site) {
    if (levels.length === 2 && (levels[1] === 'status' || levels[1] === 'debug')) return deviceRef('esphome', levels[0], site);
    const at = locate(levels);
    return at === undefined || at.prefix.length === 0 ? undefined : deviceRef('esphome', at.prefix, site);
  },
};
