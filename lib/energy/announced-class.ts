/**
 * Classes devices announce for their attributes (Home Assistant discovery `state_class`, Zigbee2MQTT
 * energy exposes), kept until they are written to attribute_classes with source 'device'.
 *
 * Discovery configs are rare (retained, re-sent on reconnects and restarts), so each is remembered
 * by what was last written: an unchanged announcement costs a map lookup, and only a new or changed
 * class is queued for the registry's next save. A person's class is never overwritten (the upsert in
 * energy-store.ts leaves rows with source 'user' alone).
 */
import type { DeviceEvent } from '../model/reading';
import { deviceIdInHouse, houseOfTopic } from '../parser/house';
import type { AttributeClass } from './attribute-class';
import { classKey } from './energy-store';

/**
 * Home Assistant's sensor state classes (https://developers.home-assistant.io/docs/core/entity/sensor/#available-state-classes):
 * `total_increasing` is a meter that may restart from zero, `total` a running total (its resets are
 * announced by last_reset, which Octopus's reset-aware delta also catches), `measurement` a value at an instant.
 */
const STATE_CLASSES: Record<string, AttributeClass> = {
  measurement: 'measurement',
  total: 'counter',
  total_increasing: 'counter',
};

export function classOfStateClass(stateClass: string | undefined): AttributeClass | undefined {
  if (stateClass === undefined) return undefined;
  const key = stateClass.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(STATE_CLASSES, key) ? STATE_CLASSES[key] : undefined;
}

export interface AnnouncedClass {
  deviceId: string;
  attribute: string;
  class: AttributeClass;
}

/** Bounds the memory of what was written; past it, announcements are still written, only not deduplicated. */
const MAX_REMEMBERED = 100_000;
const MAX_PENDING = 10_000;

export class AnnouncedClasses {
  private readonly written = new Map<string, AttributeClass>();
  private pending = new Map<string, AnnouncedClass>();
  /** Announcements not queued because the queue was full (counted, not silent). */
  dropped = 0;

  /** Queues the classes a discovery event announces that differ from what was last written. */
  observe(e: DeviceEvent): void {
    if (e.kind !== 'device' || e.entities === undefined) return;
    for (const entity of e.entities) {
      const cls = classOfStateClass(entity.stateClass);
      if (cls === undefined || entity.attribute === undefined) continue;
      // A discovery config (homeassistant/…, no house) may announce a state topic in a house's tree
      // (casa1/…): its readings are filed inside that house (lib/parser/house.ts), and so is the class.
      const house = entity.stateTopic === undefined ? undefined : houseOfTopic(entity.stateTopic);
      const deviceId = house === undefined ? e.deviceId : deviceIdInHouse(e, house);
      const key = classKey(deviceId, entity.attribute);
      if (this.written.get(key) === cls && !this.pending.has(key)) continue;
      if (this.pending.size >= MAX_PENDING && !this.pending.has(key)) {
        this.dropped++;
        continue;
      }
      this.pending.set(key, { deviceId, attribute: entity.attribute, class: cls });
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** The queued classes, emptying the queue; call markWritten() or requeue() with them after the write. */
  take(): AnnouncedClass[] {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }

  markWritten(rows: readonly AnnouncedClass[]): void {
    for (const r of rows) {
      if (this.written.size >= MAX_REMEMBERED) this.written.clear();
      this.written.set(classKey(r.deviceId, r.attribute), r.class);
    }
  }

  /** A failed write: queue again, unless a newer announcement for the same attribute came meanwhile. */
  requeue(rows: readonly AnnouncedClass[]): void {
    for (const r of rows) {
      const key = classKey(r.deviceId, r.attribute);
      if (!this.pending.has(key)) this.pending.set(key, r);
    }
  }

  /** The class last announced for this attribute (queued or written), if the device said one since start. */
  announced(deviceId: string, attribute: string): AnnouncedClass | undefined {
    const key = classKey(deviceId, attribute);
    const cls = this.pending.get(key)?.class ?? this.written.get(key);
    return cls === undefined ? undefined : { deviceId, attribute, class: cls };
  }

  /** Forgets what was written for a device (it was removed): a new announcement is written again. */
  forgetDevice(deviceId: string): void {
    const prefix = classKey(deviceId, '');
    for (const key of this.written.keys()) if (key.startsWith(prefix)) this.written.delete(key);
  }
}
