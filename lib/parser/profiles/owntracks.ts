/**
 * OwnTracks (https://owntracks.org/booklet/tech/json/), topics `owntracks/<user>/<device>[/…]`:
 *  - `_type: location` → readings `lat`, `lon` (°), `acc`, `alt`, `vac` (m), `vel` (km/h), `cog` (°),
 *    `batt` (%), `bs` (battery status 0–3), `p` (kPa), `conn` (w/m/o) at the fix time `tst`.
 *  - `_type: lwt` → availability offline (the broker publishes it when the app drops).
 *  - `_type: transition` (`…/event`) → a text reading `transition` = `enter:<region>` at `tst`.
 *  - `_type: card` (`…/info`) → metadata (the user's name).
 *  - `…/cmd` (`_type: cmd`) → a command.
 *  - waypoints, configuration, status, steps, beacons, encrypted payloads: not telemetry, ignored.
 */
import type { ParseResult } from '../../model/reading';
import {
  addAvailability,
  addCommand,
  addDevice,
  addReading,
  deviceRef,
  emptyPayloadReject,
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
  timeOf,
  unknownTopic,
} from './common';
import { explaining, noteLeavesOutside, noteUnread, NULL_LEAF } from '../json-leaves';

const BASE = 'owntracks';

const LOCATION_FIELDS: ReadonlyArray<[string, string | undefined]> = [
  ['lat', '°'],
  ['lon', '°'],
  ['acc', 'm'],
  ['alt', 'm'],
  ['vac', 'm'],
  ['vel', 'km/h'],
  ['cog', '°'],
  ['batt', '%'],
  ['bs', undefined],
  ['p', 'kPa'],
  ['conn', undefined],
];

const LOCATION_KEYS: ReadonlySet<string> = new Set(LOCATION_FIELDS.map(([key]) => key));

const NOT_TELEMETRY = new Set(['waypoint', 'waypoints', 'configuration', 'status', 'steps', 'beacon', 'encrypted', 'request', 'dump']);

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const n = levels.length;
  if (n < 3 || levels[0] !== BASE) return refusedBy('owntracks', unknownTopic('owntracks', topic, 'owntracks/<user>/<device>[/event|/info|/cmd]'));
  const ref = deviceRef('owntracks', `${levels[1]}/${levels[2]}`, site);
  const out = emptyResult('owntracks');
  if (n === 4 && levels[3] === 'cmd') {
    addCommand(out, ref, 'cmd', input.text, topic, now);
    return out;
  }
  if (n > 4) return refusedBy('owntracks', unknownTopic('owntracks', topic, 'owntracks/<user>/<device>[/event|/info|/cmd]'));
  const text = input.text.trim();
  if (text.length === 0) return refusedBy('owntracks', emptyPayloadReject('owntracks', n === 3 ? 'last location' : levels[3]));
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('owntracks', json.reject);
  const v = json.value;
  if (!isPlainObject(v)) return refusedBy('owntracks', reject('value-invalid', `an OwnTracks payload is a JSON object with _type, got ${show(text)}`));
  const type = str(v, '_type');
  if (type === undefined) return refusedBy('owntracks', reject('value-invalid', `the OwnTracks payload has no _type: ${show(text)}`));

  switch (type) {
    case 'location': {
      const { ts, deviceTs } = v.tst === undefined ? { ts: now, deviceTs: false } : timeOf(out, v.tst, 'tst', now);
      for (const [key, unit] of LOCATION_FIELDS) {
        const value = jsonReadingValue(v[key], key);
        if (value === undefined) {
          if (v[key] === null) noteUnread(key, NULL_LEAF);
          continue;
        }
        if (isReject(value)) out.rejects.push(value);
        else addReading(out, ref, key, value, { unit: typeof value === 'number' ? unit : undefined, ts, deviceTs });
      }
      if (explaining()) noteLeavesOutside(v, '', LOCATION_KEYS, 'not a location field the parser stores (the message type, its time, a tracker id, regions, Wi-Fi names)');
      if (out.readings.length === 0 && out.rejects.length === 0) return refusedBy('owntracks', reject('value-invalid', `the OwnTracks location has no lat/lon: ${show(text)}`));
      return out;
    }
    case 'lwt':
      addAvailability(out, ref, 'offline', 'lwt', now);
      return out;
    case 'transition': {
      const event = str(v, 'event');
      if (event === undefined) return refusedBy('owntracks', reject('value-invalid', `the OwnTracks transition has no event: ${show(text)}`));
      const { ts, deviceTs } = v.tst === undefined ? { ts: now, deviceTs: false } : timeOf(out, v.tst, 'tst', now);
      const desc = str(v, 'desc');
      const value = jsonReadingValue(desc === undefined ? event : `${event}:${desc}`, 'transition');
      if (value === undefined || isReject(value)) out.rejects.push(value ?? reject('value-invalid', 'the OwnTracks transition has no event', 'transition'));
      else addReading(out, ref, 'transition', value, { ts, deviceTs });
      return out;
    }
    case 'card':
      addDevice(out, ref, { name: str(v, 'name') }, now);
      return out.devices ? out : ignoredBy('owntracks', 'the OwnTracks card has no name');
    case 'cmd':
      addCommand(out, ref, 'cmd', input.text, topic, now);
      return out;
    default:
      if (NOT_TELEMETRY.has(type)) return ignoredBy('owntracks', `OwnTracks _type ${type} is not telemetry`);
      return refusedBy('owntracks', reject('value-invalid', `OwnTracks _type ${show(type)} is not one the parser reads (location, lwt, transition, card, cmd)`));
  }
}

export const owntracks: Profile = {
  name: 'owntracks',
  parse,
  deviceOf(levels, site) {
    return levels.length >= 3 && levels[0] === BASE ? deviceRef('owntracks', `${levels[1]}/${levels[2]}`, site) : undefined;
  },
};
