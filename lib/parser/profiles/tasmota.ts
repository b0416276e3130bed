/**
 * Tasmota (https://tasmota.github.io/docs/MQTT/): `%prefix%/%topic%/<suffix>` by default, or any
 * FullTopic with the prefix right before the suffix (`%topic%/%prefix%/`, `tasmota/%topic%/%prefix%/`)
 * or right at the start with static levels after it (`%prefix%/home/cellar/%topic%/`). Prefixes are
 * the defaults `cmnd`, `stat`, `tele`; the device id is every level between prefix and suffix (or
 * before the prefix), so it stays the same whatever the message.
 *
 *  - `tele/<dev>/SENSOR`, `tele/<dev>/STATE`, `stat/<dev>/RESULT`, `stat/<dev>/STATUS8|10|11`, and any
 *    `stat/<dev>/<COMMAND>` JSON reply (SetOption4): one reading per JSON leaf, named by its path
 *    (`ENERGY.Total`, `AM2301.Humidity`, `DS18B20-1.Temperature`), `ON`/`OFF` read as booleans.
 *  - `stat/<dev>/POWER`, `POWER<n>`, `tele/<dev>/POWER_LOW`… with a plain payload: one reading.
 *  - `tele/<dev>/LWT` (`Online`/`Offline`): availability. `tele/<dev>/INFO1|2|3`, `stat/<dev>/STATUS`,
 *    `STATUS2`, `STATUS5`: device metadata (name, module, firmware, IP, MAC).
 *  - `cmnd/<dev>/<command>`: a command, never a reading; with an empty payload, ignored (empty-commands.ts).
 *  - A FullTopic with renamed prefixes or fixed words (`home/%topic%/%prefix%/`) once the parse
 *    node is told it: tasmota-fulltopic.ts locates prefix, device and suffix.
 *  - Bare `nan` in the JSON (a sensor that failed, arendst/Tasmota#4147) refuses that value alone.
 *  - `Time` is used when it carries a zone (SetOption52 / TimeStamp); the default zone-less local time
 *    names no instant, so the receive time is used.
 */
import type { ParseResult } from '../../model/reading';
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
  lenientJson,
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


const PREFIXES = new Set(['cmnd', 'stat', 'tele']);

/** JSON keys that are identifiers, unit markers or duplicates, not measurements. */
const SKIP_KEYS = new Set(['Time', 'Epoch', 'TempUnit', 'PressureUnit', 'SpeedUnit', 'TotalStartTime', 'Uptime', 'Id', 'SSId', 'BSSId', 'APMac', 'Downtime']);

const FIXED_UNITS: Record<string, string> = {
  Humidity: '%',
  Illuminance: 'lx',
  CO2: 'ppm',
  eCO2: 'ppm',
  TVOC: 'ppb',
  Gas: 'kΩ',
  Distance: 'cm',
  Total: 'kWh',
  Yesterday: 'kWh',
  Today: 'kWh',
  ExportActive: 'kWh',
  ImportActive: 'kWh',
  Power: 'W',
  ActivePower: 'W',
  ApparentPower: 'VA',
  ReactivePower: 'var',
  Voltage: 'V',
  Current: 'A',
  Frequency: 'Hz',
  Period: 'Wh',
  UptimeSec: 's',
  Heap: 'kB',
  Vcc: 'V',
  Sleep: 'ms',
  RSSI: '%',
  Signal: 'dBm',
};

const TEMPERATURE_KEYS = /^(Temperature\d*|DewPoint)$/;
const PRESSURE_KEYS = /^(Pressure|SeaPressure)$/;
const STATUS_TELEMETRY = /^STATUS(8|10|11)$/;
const STATUS_INFO = /^STATUS[025]?$/;
const INFO = /^INFO[123]$/;

interface Located {
  prefix: string;
  device: string;
  suffix: string;
}

/** Where prefix, device and suffix are in the levels; undefined when the topic is not Tasmota's shape. */
function locate(levels: readonly string[]): Located | undefined {
  const n = levels.length;
  if (n < 3) return undefined;
  if (PREFIXES.has(levels[0])) return { prefix: levels[0], device: levels.slice(1, n - 1).join('/'), suffix: levels[n - 1] };
  if (PREFIXES.has(levels[n - 2])) return { prefix: levels[n - 2], device: levels.slice(0, n - 2).join('/'), suffix: levels[n - 1] };
  return undefined;
}

function parse(input: ProfileInput): ParseResult {
  const { topic, levels, text, now, site } = input;
  const at = input.tasmota ?? locate(levels);
  if (at === undefined) {
    return refusedBy('tasmota', unknownTopic('tasmota', topic, 'cmnd|stat|tele/<topic>/<suffix> or <topic>/cmnd|stat|tele/<suffix>'));
  }
  const ref = deviceRef('tasmota', at.device, site);
  const out = emptyResult('tasmota');
  const suffix = at.suffix.toUpperCase();

  if (at.prefix === 'cmnd') {
    // an empty payload is a status query (docs: "Commands over MQTT"): parseMessage ignores it with
    // the reason, never forwarding it as a command (empty-commands.ts)
    addCommand(out, ref, at.suffix, text, topic, now);
    return out;
  }
  if (suffix === 'LWT') {
    const t = text.trim();
    if (t.length === 0) return refusedBy('tasmota', emptyPayloadReject('tasmota', 'last will'));
    const lower = t.toLowerCase();
    addAvailability(out, ref, lower === 'online' ? 'online' : lower === 'offline' ? 'offline' : 'other', t, now);
    return out;
  }
  const t = text.trim();
  if (t.length === 0) return refusedBy('tasmota', emptyPayloadReject('tasmota', `${at.suffix} message`));

  const c0 = t.charCodeAt(0);
  if (c0 !== 0x7b /* { */) {
    if (c0 === 0x5b /* [ */) return refusedBy('tasmota', reject('value-invalid', `Tasmota ${at.suffix} payload is a JSON array, not a value or an object: ${show(t)}`));
    // plain payloads: stat/<dev>/POWER ON, tele/<dev>/POWER_LOW ON, stat/<dev>/POWER2 OFF
    if (at.prefix === 'tele' && !/^POWER/.test(suffix)) {
      return refusedBy('tasmota', unknownTopic('tasmota', topic, 'a JSON payload on tele/<topic>/<suffix>, or a plain POWER state'));
    }
    const v = textPayloadValue(t, at.suffix, { onOff: true });
    if (isReject(v)) out.rejects.push(v);
    else addReading(out, ref, at.suffix, v, { ts: now, deviceTs: false });
    return out;
  }

  const json = lenientJson(t);
  if (!json.ok) return refusedBy('tasmota', json.reject);
  if (!isPlainObject(json.value)) return refusedBy('tasmota', reject('value-invalid', `Tasmota ${at.suffix} payload is not a JSON object: ${show(t)}`));
  const obj = json.value;

  if (INFO.test(suffix)) {
    // {"Info1":{"Module":…,"Version":…}} since 9.x; flat {"Module":…} before
    const inner = firstObject(obj, `Info${suffix.slice(4)}`) ?? obj;
    addDevice(out, ref, { model: str(inner, 'Module'), firmware: str(inner, 'Version'), name: str(inner, 'Hostname'), ip: str(inner, 'IPAddress') }, now);
    return out.devices ? out : ignoredBy('tasmota', `Tasmota ${at.suffix} (${Object.keys(inner).slice(0, 4).join(', ')}) holds no device metadata the registry keeps`);
  }
  if (at.prefix === 'stat' && STATUS_INFO.test(suffix)) {
    const status = firstObject(obj, 'Status');
    const fwr = firstObject(obj, 'StatusFWR');
    const net = firstObject(obj, 'StatusNET');
    const friendly = status?.FriendlyName;
    addDevice(
      out,
      ref,
      {
        name: (status && str(status, 'DeviceName')) ?? (Array.isArray(friendly) && typeof friendly[0] === 'string' ? friendly[0] : undefined),
        firmware: fwr && str(fwr, 'Version'),
        hardware: fwr && str(fwr, 'Hardware'),
        ip: net && str(net, 'IPAddress'),
        mac: net && str(net, 'Mac'),
      },
      now,
    );
    const sns = firstObject(obj, 'StatusSNS');
    const sts = firstObject(obj, 'StatusSTS');
    if (sns) readingsOf(out, ref, sns, now);
    if (sts) readingsOf(out, ref, sts, now);
    return out.devices || out.readings.length || out.rejects.length ? out : ignoredBy('tasmota', `Tasmota ${at.suffix} carries configuration, not telemetry`);
  }
  if (STATUS_TELEMETRY.test(suffix)) {
    const inner = firstObject(obj, 'StatusSNS') ?? firstObject(obj, 'StatusSTS') ?? obj;
    readingsOf(out, ref, inner, now);
    return out;
  }
  if (suffix.startsWith('STATUS')) return ignoredBy('tasmota', `Tasmota ${at.suffix} carries configuration, not telemetry`);
  if (at.prefix === 'tele' && !TELE_JSON.has(suffix)) {
    return refusedBy('tasmota', unknownTopic('tasmota', topic, `tele/<topic>/ one of ${[...TELE_JSON].join(', ')}, LWT, INFO1-3`));
  }
  if (suffix === 'ENERGY') {
    // before 6.x energy came on its own topic; store it under the same names as SENSOR's ENERGY object
    readingsOf(out, ref, { ENERGY: obj, Time: obj.Time }, now);
    return out;
  }
  readingsOf(out, ref, obj, now);
  if (out.readings.length === 0 && out.rejects.length === 0) {
    return ignoredBy('tasmota', `Tasmota ${at.suffix} (${Object.keys(obj).slice(0, 4).join(', ')}) carries no value to store`);
  }
  return out;
}

/** tele suffixes whose JSON is telemetry. */
const TELE_JSON = new Set(['SENSOR', 'STATE', 'RESULT', 'ENERGY', 'MARGINS', 'UPTIME']);

function readingsOf(out: ParseResult, ref: ReturnType<typeof deviceRef>, obj: Record<string, unknown>, now: number): void {
  const { ts, deviceTs } = obj.Time === undefined ? { ts: now, deviceTs: false } : timeOf(out, obj.Time, 'Time', now);
  const tempUnit = obj.TempUnit === 'F' ? '°F' : obj.TempUnit === 'K' ? 'K' : '°C';
  const pressureUnit = (typeof obj.PressureUnit === 'string' ? cleanText(obj.PressureUnit, 20) : undefined) ?? 'hPa';
  flattenInto(out, ref, obj, '', {
    ts,
    deviceTs,
    onOff: true,
    skip: (key) => SKIP_KEYS.has(key),
    unit: (key) => {
      if (TEMPERATURE_KEYS.test(key)) return tempUnit;
      if (PRESSURE_KEYS.test(key)) return pressureUnit;
      return FIXED_UNITS[key];
    },
  });
}

/** obj[key] when it is an object; Tasmota capitalises inconsistently across versions (StatusSNS, STATUSSNS). */
function firstObject(obj: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = obj[key];
  if (isPlainObject(v)) return v;
  const upper = key.toUpperCase();
  for (const k of Object.keys(obj)) {
    if (k.toUpperCase() === upper) {
      const w = obj[k];
      if (isPlainObject(w)) return w;
    }
  }
  return undefined;
}

export const tasmota: Profile = {
  name: 'tasmota',
  parse,
  deviceOf(levels, site) {
    const at = locate(levels);
    return at === undefined ? undefined : deviceRef('tasmota', at.device, site);
  },
};
