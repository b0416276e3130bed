import type { TrackedCommand } from '../commands/command-tracker';
import { controlOf } from '../commands/command-rules';
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

/** The room people see: an operator may have moved the device without changing its topic. */
export function displayRoom(d: DeviceRecord): string {
  return d.meta.room ?? d.room;
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
