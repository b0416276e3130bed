/**
 * A simulated fleet of houses: deterministic (seeded) devices whose values behave like the real
 * thing — temperatures drift with the time of day, power has a base load and spikes, energy only
 * grows, doors and motion change rarely. Pure: no MQTT here.
 */
export type DeviceKind = 'thermostat' | 'humidity' | 'power' | 'light' | 'dimmer' | 'door' | 'motion' | 'co2';

export interface SimAttribute {
  name: string;
  unit?: string;
  value: number | boolean;
  /** Accepts commands on `<topic>/set`. */
  controllable?: 'switch' | 'level';
}

export interface SimDevice {
  site: string;
  room: string;
  device: string;
  kind: DeviceKind;
  attributes: SimAttribute[];
}

export interface FleetOptions {
  sites: number;
  roomsPerSite: number;
  devicesPerRoom: number;
  seed: number;
  sitePrefix?: string;
}

const ROOMS = ['salon', 'cocina', 'dormitorio', 'bano', 'oficina', 'garaje', 'entrada', 'terraza'];
const KINDS: DeviceKind[] = ['thermostat', 'light', 'power', 'humidity', 'dimmer', 'door', 'co2', 'motion'];
const NAMES: Record<DeviceKind, string> = {
  thermostat: 'termostato',
  humidity: 'higrometro',
  power: 'enchufe',
  light: 'luz',
  dimmer: 'regulador',
  door: 'puerta',
  motion: 'movimiento',
  co2: 'co2',
};

/** mulberry32: small, fast, good enough for reproducible simulated noise. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function attributesOf(kind: DeviceKind, rnd: () => number): SimAttribute[] {
  switch (kind) {
    case 'thermostat':
      return [
        { name: 'temperature', unit: '°C', value: 19 + rnd() * 4 },
        { name: 'setpoint', unit: '°C', value: 21, controllable: 'level' },
      ];
    case 'humidity':
      return [{ name: 'humidity', unit: '%', value: 40 + rnd() * 20 }];
    case 'power':
      return [
        { name: 'power', unit: 'W', value: 50 + rnd() * 100 },
        { name: 'energy', unit: 'kWh', value: Math.round(rnd() * 1000) },
      ];
    case 'light':
      return [{ name: 'on', value: rnd() < 0.3, controllable: 'switch' }];
    case 'dimmer':
      return [
        { name: 'on', value: false, controllable: 'switch' },
        { name: 'level', unit: '%', value: 0, controllable: 'level' },
      ];
    case 'door':
      return [{ name: 'open', value: false }];
    case 'motion':
      return [{ name: 'motion', value: false }];
    case 'co2':
      return [{ name: 'co2', unit: 'ppm', value: 450 + rnd() * 200 }];
  }
}

export function createFleet(options: FleetOptions): SimDevice[] {
  const rnd = prng(options.seed);
  const devices: SimDevice[] = [];
  for (let s = 1; s <= options.sites; s++) {
    const site = `${options.sitePrefix ?? 'casa'}-${s}`;
    for (let r = 0; r < options.roomsPerSite; r++) {
      const room = ROOMS[r % ROOMS.length] + (r >= ROOMS.length ? `-${Math.floor(r / ROOMS.length) + 1}` : '');
      for (let d = 0; d < options.devicesPerRoom; d++) {
        const kind = KINDS[(r + d) % KINDS.length];
        devices.push({ site, room, device: `${NAMES[kind]}-${d + 1}`, kind, attributes: attributesOf(kind, rnd) });
      }
    }
  }
  return devices;
}

/** Moves an attribute's value one step the way such a sensor would. */
export function step(attr: SimAttribute, now: number, rnd: () => number): void {
  const hour = (now / 3_600_000) % 24;
  if (typeof attr.value === 'boolean') {
    if (attr.controllable) return; // actuators change only when told
    const flip = attr.name === 'motion' ? 0.2 : 0.02;
    if (rnd() < flip) attr.value = !attr.value;
    return;
  }
  switch (attr.name) {
    case 'temperature': {
      const daily = 21 + 2 * Math.sin(((hour - 9) / 24) * 2 * Math.PI);
      attr.value += (daily - attr.value) * 0.05 + (rnd() - 0.5) * 0.2;
      break;
    }
    case 'humidity':
      attr.value = Math.min(70, Math.max(30, attr.value + (rnd() - 0.5) * 1.5));
      break;
    case 'power':
      attr.value = rnd() < 0.05 ? 1500 + rnd() * 800 : Math.max(20, 60 + (rnd() - 0.5) * 40);
      break;
    case 'energy':
      attr.value += rnd() * 0.01;
      break;
    case 'co2':
      attr.value = Math.min(1500, Math.max(400, attr.value + (rnd() - 0.45) * 20));
      break;
    default:
      break;
  }
  attr.value = Math.round(attr.value * 100) / 100;
}

/** Applies a command payload to an actuator; returns false when it makes no sense for it. */
export function applyCommand(attr: SimAttribute, payload: string): boolean {
  const text = payload.trim().toLowerCase();
  if (attr.controllable === 'switch') {
    if (['true', 'on', '1'].includes(text)) attr.value = true;
    else if (['false', 'off', '0'].includes(text)) attr.value = false;
    else return false;
    return true;
  }
  if (attr.controllable === 'level') {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) return false;
    attr.value = n;
    return true;
  }
  return false;
}
