/**
 * Shelly, both API generations.
 *
 * Gen1 (https://shelly-api-docs.shelly.cloud/gen1/#mqtt-support), under `shellies/<id>/`:
 *  - one plain value per topic: `relay/0` (`on`/`off` → boolean), `relay/0/power` (W),
 *    `relay/0/energy` and `emeter/<i>/energy`, `…/returned_energy` (watt-minutes, **converted to Wh**,
 *    ÷60, stated in `Reading.converted`), `emeter/<i>/total` (Wh), `sensor/temperature|humidity|battery…`,
 *    `temperature` (°C), `input/0`…; attribute = the path with dots (`relay.0.power`).
 *  - `…/online` (`true`/`false`): availability; `…/announce` and `shellies/announce`: metadata;
 *    `…/command`, `…/set`: commands; `…/info` (a full status snapshot repeating the per-value
 *    topics): ignored.
 *
 * Gen2+ (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt), under the topic
 * prefix (the device id by default, `:` inside levels):
 *  - `<prefix>/status/<component>` (`switch:0`, `cover:0`, `em:0`, `sys`, `wifi`…): the component's
 *    status JSON, one reading per leaf (`switch:0.apower`, `switch:0.aenergy.total` in Wh).
 *  - `<prefix>/events/rpc`: `NotifyStatus`/`NotifyFullStatus` readings at the notification's `ts`,
 *    `NotifyEvent` events as text readings (`input:0.event` = `single_push`).
 *  - `<prefix>/online`: availability; `<prefix>/rpc`, `<prefix>/command[/<component>]`: commands.
 */
import type { DeviceRef, ParseResult } from '../../model/reading';
import {
  addAvailability,
  addCommand,
  addDevice,
  addReading,
  cleanText,
  deviceRef,
  emptyPayloadReject,
  emptyResult,
  ignoredBy,
  isPlainObject,
  isReject,
  keyProblem,
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

const GEN1 = 'shellies';
const WMIN_TO_WH = 'Wmin → Wh (÷60)';

/** Gen2 components that have no `:<id>`. */
export const GEN2_SINGLETONS = new Set(['sys', 'wifi', 'cloud', 'mqtt', 'ble', 'eth', 'ws', 'ui', 'knx', 'matter', 'bthome', 'plugs_ui', 'modbus', 'zigbee']);

/** Gen1 metering channels whose `energy` counters are in watt-minutes. */
const GEN1_METERS = new Set(['relay', 'roller', 'meter', 'emeter', 'light', 'white', 'color']);

function gen1Unit(path: readonly string[]): { unit?: string; converted?: string } {
  const n = path.length;
  const last = path[n - 1];
  if (n === 3 && GEN1_METERS.has(path[0])) {
    if (last === 'energy' || last === 'returned_energy') return { unit: 'Wh', converted: WMIN_TO_WH };
    if (last === 'power') return { unit: 'W' };
    if (last === 'reactive_power') return { unit: 'var' };
    if (last === 'voltage') return { unit: 'V' };
    if (last === 'current') return { unit: 'A' };
    if (last === 'total' || last === 'total_returned') return { unit: 'Wh' };
    if (last === 'pos') return { unit: '%' };
  }
  if (n === 1) {
    if (last === 'temperature') return { unit: '°C' };
    if (last === 'temperature_f') return { unit: '°F' };
    if (last === 'voltage') return { unit: 'V' };
  }
  if (n === 2) {
    if (path[0] === 'sensor') {
      if (last === 'humidity' || last === 'battery') return { unit: '%' };
      if (last === 'lux') return { unit: 'lx' };
      // sensor/temperature is in °C or °F as the device is configured: not known here
    }
    if (path[0] === 'ext_temperature') return { unit: '°C' };
    if (path[0] === 'ext_temperature_f') return { unit: '°F' };
    if (path[0] === 'ext_humidity') return { unit: '%' };
  }
  return {};
}

/** Units of Gen2 status keys (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch#status). */
function gen2Unit(key: string, path: string): string | undefined {
  if (key === 'tC') return '°C';
  if (key === 'tF') return '°F';
  if (key === 'rh') return '%';
  if (key === 'percent' || key === 'current_pos' || key === 'target_pos') return '%';
  if (key === 'rssi') return 'dBm';
  if (key === 'uptime') return 's';
  if (key === 'ram_free' || key === 'ram_size' || key === 'fs_free' || key === 'fs_size') return 'B';
  if (key === 'total' && /(?:^|\.)(?:ret_)?aenergy\.total$/.test(path)) return 'Wh';
  if (/(?:^|_)(?:act_power|apower)$/.test(key)) return 'W';
  if (/(?:^|_)aprt_power$/.test(key)) return 'VA';
  if (/(?:^|_)voltage$/.test(key) || key === 'V') return 'V';
  if (/(?:^|_)current$/.test(key)) return 'A';
  if (/(?:^|_)freq$/.test(key)) return 'Hz';
  if (/_energy$|^total_act(?:_ret)?$/.test(key)) return 'Wh';
  return undefined;
}

// by_minute: the energy of the last three whole minutes, a history beside the counter (aenergy.total), not a reading
const GEN2_SKIP = new Set(['id', 'source', 'by_minute', 'minute_ts', 'timer_started_at', 'unixtime', 'time', 'mac', 'sta_ip', 'ssid', 'bssid', 'cfg_rev', 'kvs_rev', 'schedule_rev', 'webhook_rev']);

function gen2Readings(out: ParseResult, ref: DeviceRef, component: string, status: Record<string, unknown>, ts: number, deviceTs: boolean): void {
  flattenInto(out, ref, status, component, { ts, deviceTs, skip: (key) => GEN2_SKIP.has(key), unit: gen2Unit });
}

/** Where a Gen2 topic's marker is: the prefix (device) and what follows. */
function gen2Split(levels: readonly string[]): { device: string; rest: string[] } | undefined {
  const n = levels.length;
  if (n >= 3 && (levels[n - 2] === 'status' || levels[n - 2] === 'command') && (levels[n - 1].includes(':') || GEN2_SINGLETONS.has(levels[n - 1]))) {
    return { device: levels.slice(0, n - 2).join('/'), rest: levels.slice(n - 2) };
  }
  if (n >= 3 && levels[n - 2] === 'events' && levels[n - 1] === 'rpc') return { device: levels.slice(0, n - 2).join('/'), rest: ['events', 'rpc'] };
  if (n >= 2 && (levels[n - 1] === 'online' || levels[n - 1] === 'rpc' || levels[n - 1] === 'command')) return { device: levels.slice(0, n - 1).join('/'), rest: [levels[n - 1]] };
  return undefined;
}

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, now, site } = input;
  const text = input.text.trim();
  if (levels[0] === GEN1) {
    if (levels.length === 2) {
      if (levels[1] === 'announce') return announce(input, text);
      if (levels[1] === 'command') {
        const out = emptyResult('shelly');
        addCommand(out, deviceRef('shelly', GEN1, site), 'command', input.text, topic, now);
        return out;
      }
      return refusedBy('shelly', unknownTopic('shelly', topic, 'shellies/<id>/<channel>/…, shellies/announce or shellies/command'));
    }
    const rest = levels.slice(2);
    // a Gen2+ device with topic prefix shellies/<id> speaks Gen2 below it
    if (rest[0] === 'status' || rest[0] === 'events' || rest[0] === 'rpc') return gen2(input, levels[1], rest, text);
    return gen1(input, levels[1], rest, text);
  }
  const at = gen2Split(levels);
  if (at === undefined || at.device.length === 0) {
    return refusedBy('shelly', unknownTopic('shelly', topic, '<prefix>/status/<component>, <prefix>/events/rpc, <prefix>/online or shellies/<id>/…'));
  }
  return gen2(input, at.device, at.rest, text);
}

function gen1(input: ProfileInput, id: string, path: string[], text: string): ParseResult {
  const { topic, now, site } = input;
  const ref = deviceRef('shelly', id, site);
  const out = emptyResult('shelly');
  const last = path[path.length - 1];
  if (path.includes('command') || last === 'set') {
    addCommand(out, ref, path.join('/'), input.text, topic, now);
    return out;
  }
  if (path.length === 1 && last === 'online') return online(ref, text, now);
  if (path.length === 1 && last === 'announce') return announce(input, text, ref);
  if (path.length === 1 && last === 'info') return ignoredBy('shelly', 'shellies/<id>/info repeats the per-value topics as one status snapshot');
  if (text.length === 0) return refusedBy('shelly', emptyPayloadReject('shelly', path.join('/')));
  const attribute = path.join('.');
  if (text.charCodeAt(0) === 0x7b /* { */) {
    // input_event/0 {"event":"S","event_cnt":2}, light/0/status {…}
    const json = lenientJson(text);
    if (!json.ok) return refusedBy('shelly', json.reject);
    if (!isPlainObject(json.value)) return refusedBy('shelly', reject('value-invalid', `Shelly ${attribute} is not a JSON object: ${show(text)}`));
    flattenInto(out, ref, json.value, attribute, { ts: now, deviceTs: false });
    return out.readings.length || out.rejects.length ? out : ignoredBy('shelly', `Shelly ${attribute} holds no value`);
  }
  const lower = text.toLowerCase();
  const isSwitch = path.length === 2 && (path[0] === 'relay' || path[0] === 'light' || path[0] === 'white');
  const v = isSwitch && (lower === 'on' || lower === 'off') ? lower === 'on' : textPayloadValue(text, attribute);
  if (isReject(v)) {
    out.rejects.push(v);
    return out;
  }
  const { unit, converted } = gen1Unit(path);
  if (converted !== undefined && typeof v === 'number') {
    addReading(out, ref, attribute, Math.round((v / 60) * 1000) / 1000, { unit, converted, ts: now, deviceTs: false });
  } else {
    addReading(out, ref, attribute, v, { unit: typeof v === 'number' ? unit : undefined, ts: now, deviceTs: false });
  }
  return out;
}

function online(ref: DeviceRef, text: string, now: number): ParseResult {
  if (text.length === 0) return refusedBy('shelly', emptyPayloadReject('shelly', 'online state'));
  const out = emptyResult('shelly');
  addAvailability(out, ref, text === 'true' ? 'online' : text === 'false' ? 'offline' : 'other', text, now);
  return out;
}

/** `{"id":"shellyplug-s-ABC123","model":"SHPLG-S","mac":"…","ip":"…","new_fw":false,"fw_ver":"…"}`. */
function announce(input: ProfileInput, text: string, fallback?: DeviceRef): ParseResult {
  if (text.length === 0) return refusedBy('shelly', emptyPayloadReject('shelly', 'announcement'));
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('shelly', json.reject);
  const v = json.value;
  if (!isPlainObject(v)) return refusedBy('shelly', reject('value-invalid', `a Shelly announcement is a JSON object, got ${show(text)}`));
  const id = str(v, 'id');
  const ref = (id === undefined ? undefined : payloadDeviceRef('shelly', id, input.site)) ?? fallback;
  if (ref === undefined) return refusedBy('shelly', reject('value-invalid', `the Shelly announcement names no device id: ${show(text)}`));
  const out = emptyResult('shelly');
  addDevice(out, ref, { model: str(v, 'model'), mac: str(v, 'mac'), ip: str(v, 'ip'), firmware: str(v, 'fw_ver') ?? str(v, 'fw_id'), name: str(v, 'name') }, input.now);
  return out.devices ? out : ignoredBy('shelly', 'the Shelly announcement holds no metadata');
}

function gen2(input: ProfileInput, device: string, rest: string[], text: string): ParseResult {
  const { topic, now, site } = input;
  const ref = deviceRef('shelly', device, site);
  const out = emptyResult('shelly');
  const head = rest[0];
  if (head === 'online' && rest.length === 1) return online(ref, text, now);
  if (head === 'rpc' || head === 'command') {
    addCommand(out, ref, rest.join('/'), input.text, topic, now);
    return out;
  }
  if (text.length === 0) return refusedBy('shelly', emptyPayloadReject('shelly', rest.join('/')));
  const json = lenientJson(text);
  if (!json.ok) return refusedBy('shelly', json.reject);
  const v = json.value;
  if (!isPlainObject(v)) return refusedBy('shelly', reject('value-invalid', `Shelly ${rest.join('/')} is not a JSON object: ${show(text)}`));

  if (head === 'status' && rest.length === 2) {
    gen2Readings(out, ref, rest[1], v, now, false);
    return out.readings.length || out.rejects.length ? out : ignoredBy('shelly', `Shelly status of ${rest[1]} holds no value`);
  }
  if (head === 'events' && rest[1] === 'rpc') {
    const params = isPlainObject(v.params) ? v.params : undefined;
    const method = str(v, 'method');
    if (params === undefined || (method !== 'NotifyStatus' && method !== 'NotifyFullStatus' && method !== 'NotifyEvent')) {
      return ignoredBy('shelly', `Shelly RPC frame ${method === undefined ? '(a response)' : show(method)} carries no status`);
    }
    const { ts, deviceTs } = params.ts === undefined ? { ts: now, deviceTs: false } : timeOf(out, params.ts, 'params.ts', now);
    if (method === 'NotifyEvent') {
      const events = Array.isArray(params.events) ? params.events : [];
      for (const e of events) {
        if (!isPlainObject(e)) continue;
        const component = str(e, 'component');
        const event = str(e, 'event');
        if (component === undefined || event === undefined) continue;
        const own = e.ts === undefined ? { ts, deviceTs } : timeOf(out, e.ts, `${component}.ts`, now);
        const value = textPayloadValue(event, `${component}.event`);
        if (isReject(value)) out.rejects.push(value);
        else addReading(out, ref, `${component}.event`, value, own);
      }
    } else {
      for (const key of Object.keys(params)) {
        if (key === 'ts') continue;
        const status = params[key];
        if (!isPlainObject(status)) continue;
        const problem = keyProblem(key);
        if (problem !== undefined) out.rejects.push(reject('attribute-invalid', `component name ${show(key)} ${problem}`, cleanText(key) ?? '?'));
        else gen2Readings(out, ref, key, status, ts, deviceTs);
      }
    }
    return out.readings.length || out.rejects.length ? out : ignoredBy('shelly', `Shelly ${method} carries no value`);
  }
  return refusedBy('shelly', unknownTopic('shelly', topic, '<prefix>/status/<component> or <prefix>/events/rpc'));
}

export const shelly: Profile = {
  name: 'shelly',
  parse,
  deviceOf(levels, site) {
    if (levels[0] === GEN1) return levels.length >= 3 ? deviceRef('shelly', levels[1], site) : undefined;
    const at = gen2Split(levels);
    return at === undefined || at.device.length === 0 ? undefined : deviceRef('shelly', at.device, site);
  },
};
