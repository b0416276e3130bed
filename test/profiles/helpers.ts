/** Shared by the profile tests: parse with a fixed receive time, and look at results by attribute. */
import assert from 'node:assert/strict';
import type { DeviceEvent, ParseOptions, ParseResult, Reading, ReadingValue, RejectCode } from '../../lib/model/reading';
import { parseMessage } from '../../lib/parser';

export const NOW = Date.parse('2026-11-23T10:00:00Z');

export function parse(topic: string, payload: string | Buffer, options: ParseOptions = {}): ParseResult {
  return parseMessage(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, { receivedAt: NOW, ...options });
}

/** attribute → value of the readings. */
export function values(r: ParseResult): Record<string, ReadingValue> {
  const out: Record<string, ReadingValue> = {};
  for (const x of r.readings) out[x.attribute] = x.value;
  return out;
}

/** attribute → unit of the readings that have one. */
export function units(r: ParseResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of r.readings) if (x.unit !== undefined) out[x.attribute] = x.unit;
  return out;
}

export function codes(r: ParseResult): Array<[RejectCode, string | undefined]> {
  return r.rejects.map((x) => [x.code, x.attribute]);
}

export function events(r: ParseResult): DeviceEvent[] {
  return [...(r.availability ?? []), ...(r.devices ?? []), ...(r.deletions ?? []), ...(r.commands ?? [])];
}

/** The one reading of a message, with no reject. */
export function one(r: ParseResult): Reading {
  assert.deepEqual(r.rejects, []);
  assert.equal(r.readings.length, 1, JSON.stringify(r.readings));
  return r.readings[0];
}

/** Every reading of the result belongs to `deviceId` and is well formed. */
export function allOn(r: ParseResult, deviceId: string, site = 'home'): void {
  for (const x of r.readings) {
    assert.equal(x.deviceId, deviceId);
    assert.equal(x.site, site);
    assert.equal(x.room, '');
    assert.equal(`${deviceId.slice(0, deviceId.indexOf(':'))}:${x.device}`, deviceId);
    assert.ok(Number.isInteger(x.ts));
  }
}

/** Only events of one kind, nothing else. */
export function onlyEvents(r: ParseResult): DeviceEvent[] {
  assert.deepEqual(r.readings, []);
  assert.deepEqual(r.rejects, []);
  const e = events(r);
  assert.ok(e.length > 0, 'at least one event');
  return e;
}
