import type { TrackedCommand } from '../commands/command-tracker';
import { controlOf } from '../commands/command-rules';
import type { LiveDevice } from '../live/live-model';
import type { AvailabilityState, ReadingValue } from '../model/reading';
import type { ControlSpec, DeviceMeta, DeviceRecord, DeviceRegistry, DeviceState } from '../registry/device-registry';
import { iso } from './http';

/** The registry's records as the API shows them (the OpenAPI components of the same names). */
export interface AttributeView {
  name: string;
  value: ReadingValue;
  unit: string | null;
  ts: string;
  controllable: ControlSpec | null;
}

export interface DeviceView {
  deviceId: string;
  site: string;
  room: string;
  device: string;
  name: string | null;
  kind: string | null;
  icon: string | null;
  profile: string | null;
  state: DeviceState;
  stateSince: string;
  stateReason: string;
  firstSeen: string;
  lastSeen: string;
  expectedIntervalMs: number | null;
  learnedIntervalMs: number | null;
  intervalMs: number;
  availability: AvailabilityState | null;
  attributes: AttributeView[];
}

export interface DeviceDetailView extends DeviceView {
  meta: DeviceMeta;
}

export interface CommandView {
  id: string;
  deviceId: string;
  attribute: string;
  value: ReadingValue;
  topic: string;
  payload: string;
  requestedBy: string;
  requestedAt: string;
  status: TrackedCommand['status'];
  statusAt: string;
  detail: string | null;
}

/**
 * A device's public forms, in one place: the API's (deviceView, the OpenAPI `Device`), the live
 * dashboard's (liveDeviceView) and the device events node's (eventDeviceView). All show the room
 * and name people gave it (displayRoom, displayName) over the topic's.
 */

/** The room people see: an operator may have moved the device without changing its topic. */
export function displayRoom(d: DeviceRecord): string {
  return d.meta.room ?? d.room;
}

/** The name people see: the one an operator gave, else the device's own id in its topic. */
export function displayName(d: DeviceRecord): string {
  return d.meta.name ?? d.device;
}

/** The live dashboard's form (lib/live/live-model.ts): `name` only when an operator gave one, the page falls back to `device`. */
export function liveDeviceView(d: DeviceRecord): LiveDevice {
  const attributes: LiveDevice['attributes'] = {};
  for (const [k, a] of d.attributes) attributes[k] = a.unit === undefined ? { value: a.value, ts: a.ts } : { value: a.value, unit: a.unit, ts: a.ts };
  return { deviceId: d.deviceId, site: d.site, room: displayRoom(d), device: d.device, name: d.meta.name, state: d.state, lastSeen: d.lastSeen, attributes };
}

/** The device as the device events node (octopus-devices) sends it with each event. */
export function eventDeviceView(d: DeviceRecord) {
  return {
    deviceId: d.deviceId,
    site: d.site,
    room: displayRoom(d),
    name: displayName(d),
    state: d.state,
    lastSeen: d.lastSeen,
    attributes: Object.fromEntries([...d.attributes].map(([k, a]) => [k, { value: a.value, unit: a.unit, ts: a.ts }])),
  };
}

export function attributeViews(d: DeviceRecord): AttributeView[] {
  return [...d.attributes]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, a]) => ({
      name,
      value: a.value,
      unit: a.unit ?? null,
      ts: iso(a.ts),
      controllable: controlOf(d.meta.controls, name) ?? null,
    }));
}

export function deviceView(registry: DeviceRegistry, d: DeviceRecord): DeviceView {
  return {
    deviceId: d.deviceId,
    site: d.site,
    room: displayRoom(d),
    device: d.device,
    name: d.meta.name ?? null,
    kind: d.meta.kind ?? null,
    icon: d.meta.icon ?? null,
    profile: d.profile ?? null,
    state: d.state,
    stateSince: iso(d.stateSince),
    stateReason: d.stateReason,
    firstSeen: iso(d.firstSeen),
    lastSeen: iso(d.lastSeen),
    expectedIntervalMs: d.meta.expectedIntervalMs ?? null,
    learnedIntervalMs: d.learnedIntervalMs ?? null,
    intervalMs: Math.round(registry.intervalOf(d)),
    availability: d.availability ?? null,
    attributes: attributeViews(d),
  };
}

export function deviceDetailView(registry: DeviceRegistry, d: DeviceRecord): DeviceDetailView {
  return { ...deviceView(registry, d), meta: d.meta };
}

export function commandView(c: TrackedCommand): CommandView {
  return {
    id: c.id,
    deviceId: c.deviceId,
    attribute: c.attribute,
    value: c.value,
    topic: c.topic,
    payload: c.payload,
    requestedBy: c.requestedBy,
    requestedAt: iso(c.requestedAt),
    status: c.status,
    statusAt: iso(c.statusAt),
    detail: c.detail ?? null,
  };
}

/** Code-point order: the same for every client and locale, so paging is stable. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
