/**
 * Home Assistant's default MQTT topics, read without a discovery config (issue #17). Discovery
 * configs are often retained and cleared, or arrive after the states; a device that follows HA's
 * default naming, `homeassistant/<component>/[<node_id>/]<object_id>/state` for its state and
 * `…/set` for commands (https://www.home-assistant.io/integrations/mqtt/#discovery-messages,
 * "state_topic": "homeassistant/<component>/<node_id>/<object_id>/state" in its examples), is read
 * as that object's state: attribute `<object_id>` on device `ha:<node_id>` (or `ha:<object_id>`).
 * Once a config announces the topic, the config's reading of it wins (ha.ts).
 *
 * Pure, no Node-RED import.
 */
import type { ParseResult } from '../../model/reading';
import { switchWord } from '../switch-words';
import type { HaEntity } from '../context';
import { explaining, flattenInto, noteLeavesOutside } from '../json-leaves';
import { addCommand, addReading, deviceRef, emptyResult, isPlainObject, isReject, lenientJson, type ProfileInput, reject, textPayloadValue } from './common';

/** Components whose states are on/off: their ON/OFF, on/off, true/false are booleans. */
export const BINARY_COMPONENTS: ReadonlySet<string> = new Set(['binary_sensor', 'switch', 'light', 'fan', 'siren', 'lock', 'valve']);

/** Reads `homeassistant/<component>/[<node_id>/]<object_id>/state|set`; undefined for any other topic. */
export function defaultTopic(input: ProfileInput): ParseResult | undefined {
  const { levels, text, now, site, topic } = input;
  const n = levels.length;
  if (n !== 4 && n !== 5) return undefined;
  const last = levels[n - 1];
  if (last !== 'state' && last !== 'set' && last !== 'command') return undefined;
  const component = levels[1];
  const objectId = levels[n - 2];
  const ref = deviceRef('ha', n === 5 ? levels[2] : objectId, site);
  const out = emptyResult('ha');
  if (last !== 'state') {
    addCommand(out, ref, `${component}/${objectId}`, text, topic, now);
    return out;
  }
  const t = text.trim();
  if (t.length === 0) {
    out.rejects.push(reject('payload-empty', 'the payload is empty: an empty retained message clears the state; it is a deletion, not a reading'));
    return out;
  }
  const binary = BINARY_COMPONENTS.has(component);
  if (t.charCodeAt(0) === 0x7b /* { */) {
    // JSON schema entities (a light's {"state":"ON","brightness":255}): one reading per leaf
    const json = lenientJson(t);
    if (!json.ok) out.rejects.push(json.reject);
    else if (isPlainObject(json.value)) flattenInto(out, ref, json.value, objectId, { ts: now, deviceTs: false, onOff: true });
    else out.rejects.push(reject('value-invalid', `the state of ${objectId} is not a JSON object`));
    return out;
  }
  const onOff = binary ? switchWord(t) : undefined;
  const v = onOff ?? textPayloadValue(t, objectId, { onOff: binary });
  if (isReject(v)) out.rejects.push(v);
  else addReading(out, ref, objectId, v, { ts: now, deviceTs: false });
  return out;
}

/** Explain notes for the keys of an announced JSON state that no announced entity reads (a shared state topic). */
export function noteUnannounced(json: unknown, entities: readonly HaEntity[]): void {
  if (!explaining()) return;
  const read = new Set<string>();
  for (const e of entities) if (e.value.kind === 'path') read.add(e.value.path.join('.'));
  noteLeavesOutside(json, '', read, 'no discovery config announced an entity that reads it');
}
