import type { ReadingValue } from '../model/reading';
import type { ControlSpec, DeviceRecord } from '../registry/device-registry';

/**
 * What a command may say to a device, and where it goes. Pure: validation against the device's
 * declared controls, and the topic and payload each firmware expects.
 */
export interface CommandRequest {
  deviceId: string;
  attribute: string;
  value: unknown;
}

export type Validated = { ok: true; value: ReadingValue } | { ok: false; status: 400 | 404 | 409; error: string };

const TRUE_WORDS = new Set(['on', 'true', '1']);
const FALSE_WORDS = new Set(['off', 'false', '0']);

/**
 * The control declared for `attribute`, looked up as an own property only: `constructor`,
 * `toString` or `__proto__` are not controls because every object inherits them (issue #15).
 */
export function controlOf(controls: Record<string, ControlSpec> | undefined, attribute: unknown): ControlSpec | undefined {
  if (controls === undefined || controls === null || typeof attribute !== 'string') return undefined;
  if (!Object.hasOwn(controls, attribute)) return undefined;
  const spec: unknown = controls[attribute];
  return typeof spec === 'object' && spec !== null ? (spec as ControlSpec) : undefined;
}

/** Checks a command against the device's controls; returns the normalized value or why not. */
export function validateCommand(device: DeviceRecord | undefined, attribute: string, value: unknown): Validated {
  if (!device) return { ok: false, status: 404, error: 'unknown device' };
  const control = controlOf(device.meta.controls, attribute);
  if (!control) {
    const declared = Object.keys(device.meta.controls ?? {});
    return {
      ok: false,
      status: 409,
      error: `attribute "${attribute}" of ${device.deviceId} is not controllable${declared.length ? ` (controllable: ${declared.join(', ')})` : ' (declare it in the device metadata first)'}`,
    };
  }
  if (control.kind === 'switch') {
    if (typeof value === 'boolean') return { ok: true, value };
    const word = typeof value === 'string' || typeof value === 'number' ? String(value).trim().toLowerCase() : '';
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
    return { ok: false, status: 400, error: `"${attribute}" is a switch: send true/false (or on/off), not ${describe(value)}` };
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return { ok: false, status: 400, error: `"${attribute}" takes a number from ${control.min} to ${control.max}, not ${describe(value)}` };
  if (n < control.min || n > control.max) {
    return { ok: false, status: 400, error: `${n} is out of range for "${attribute}": ${control.min} to ${control.max}` };
  }
  const steps = (n - control.min) / control.step;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) {
    return { ok: false, status: 400, error: `${n} is not a step of ${control.step} from ${control.min} for "${attribute}"` };
  }
  return { ok: true, value: n };
}

/** Checks a control declaration coming from an operator (the API, a flow). */
export function controlProblem(name: string, spec: unknown): string | undefined {
  if (typeof spec !== 'object' || spec === null) return `control "${name}" must be an object`;
  const s = spec as Partial<Record<'kind' | 'min' | 'max' | 'step', unknown>>;
  if (s.kind === 'switch') return undefined;
  if (s.kind !== 'level' && s.kind !== 'setpoint') return `control "${name}" kind must be switch, level or setpoint`;
  const { min, max, step } = s;
  if (typeof min !== 'number' || typeof max !== 'number' || typeof step !== 'number' || ![min, max, step].every(Number.isFinite)) {
    return `control "${name}" needs numeric min, max and step`;
  }
  if (!(min < max)) return `control "${name}": min must be below max`;
  if (!(step > 0) || step > max - min) return `control "${name}": step must be positive and at most max − min`;
  return undefined;
}

export interface CommandMessage {
  topic: string;
  payload: string;
}

/**
 * The topic and payload for a command, by the device's profile: Octopus `…/attribute/set`,
 * Tasmota `cmnd/<dev>/<ATTR>`, Zigbee2MQTT `zigbee2mqtt/<name>/set` with a JSON object, Shelly Gen1
 * `shellies/<id>/relay/<n>/command`, ESPHome `<node>/<component>/<name>/command`, Homie `…/set`.
 * `meta.commandTopic` (with `{attribute}`) overrides the default.
 */
export function commandMessage(device: DeviceRecord, attribute: string, value: ReadingValue, override?: string): CommandMessage {
  const onOff = (v: ReadingValue) => (typeof v === 'boolean' ? (v ? 'ON' : 'OFF') : String(v));
  if (override) return { topic: override.replaceAll('{attribute}', attribute), payload: String(value) };
  switch (device.profile) {
    case 'tasmota':
      return { topic: `cmnd/${device.device}/${attribute.toUpperCase()}`, payload: onOff(value) };
    case 'z2m':
      return { topic: `zigbee2mqtt/${device.device}/set`, payload: JSON.stringify({ [attribute]: typeof value === 'boolean' ? onOff(value) : value }) };
    case 'shelly': {
      // Gen1 relays arrive as `relay.0`, `relay.1`…
      const relay = /^relay[.:]?(\d+)/.exec(attribute)?.[1] ?? '0';
      return { topic: `shellies/${device.device}/relay/${relay}/command`, payload: typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value) };
    }
    case 'esphome':
      return { topic: `${device.device}/${typeof value === 'boolean' ? 'switch' : 'number'}/${attribute}/command`, payload: onOff(value) };
    case 'homie':
      // Homie attributes are `<node>.<property>`; the topic takes them as two levels.
      return { topic: `homie/${device.device}/${attribute.replace('.', '/')}/set`, payload: String(value) };
    default:
      return { topic: `${device.deviceId}/${attribute}/set`, payload: String(value) };
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || v === undefined) return String(v);
  return typeof v === 'object' ? 'an object' : String(v);
}
