import type { Reading } from './reading';

/**
 * Many readings in one object, by column: what octopus-parse sends on output 1 (issue #23).
 *
 * Node-RED deep-clones a message for every extra wire on an output (lodash cloneDeep). An array of
 * reading objects costs a walk over every field of every reading per clone; this costs one memcpy
 * per typed array, plus one copy of the (short) list of distinct strings. The clone keeps the
 * prototype, so every receiver, a user's function node included, can call the methods below:
 *   for (const r of msg.payload) …     // plain Reading objects, made on the way
 *   msg.payload.readings()             // a plain Reading[]
 *   msg.payload.length                 // how many
 * JSON.stringify (the debug sidebar, a file, another broker) writes the plain reading array.
 *
 * Strings (device ids, sites, rooms, devices, attributes, units, conversions, text values) are kept
 * once each in `strings`; the per-reading columns hold their index. Numbers are never boxed.
 */
export const READING_BATCH_FORMAT = 'octopus-readings/1';

/** `flags` bits: what the value is, and which optional fields the reading has. */
const KIND_MASK = 0b11;
const KIND_NUMBER = 0;
const KIND_BOOLEAN = 1;
const KIND_TEXT = 2;
const FLAG_DEVICE_TS = 1 << 2;
const FLAG_UNIT = 1 << 3;
const FLAG_CONVERTED = 1 << 4;

/** The columns of a batch; see ReadingBatch. */
export interface ReadingColumns {
  strings: string[];
  deviceId: Uint32Array;
  site: Uint32Array;
  room: Uint32Array;
  device: Uint32Array;
  attribute: Uint32Array;
  unit: Uint32Array;
  converted: Uint32Array;
  ts: Float64Array;
  num: Float64Array;
  flags: Uint8Array;
}

export class ReadingBatch implements ReadingColumns {
  readonly format = READING_BATCH_FORMAT;
  /** Every distinct string of the batch, once. */
  readonly strings: string[];
  /** Per reading, indexes into `strings`. */
  readonly deviceId: Uint32Array;
  readonly site: Uint32Array;
  readonly room: Uint32Array;
  readonly device: Uint32Array;
  readonly attribute: Uint32Array;
  /** Index into `strings` when FLAG_UNIT / FLAG_CONVERTED is set (0 otherwise). */
  readonly unit: Uint32Array;
  readonly converted: Uint32Array;
  /** Epoch milliseconds. */
  readonly ts: Float64Array;
  /** The number; 1/0 for a boolean; the index into `strings` of a text value. */
  readonly num: Float64Array;
  readonly flags: Uint8Array;

  constructor(columns: ReadingColumns) {
    this.strings = columns.strings;
    this.deviceId = columns.deviceId;
    this.site = columns.site;
    this.room = columns.room;
    this.device = columns.device;
    this.attribute = columns.attribute;
    this.unit = columns.unit;
    this.converted = columns.converted;
    this.ts = columns.ts;
    this.num = columns.num;
    this.flags = columns.flags;
  }

  get length(): number {
    return this.flags.length;
  }

  /** 'number' | 'boolean' | 'text' of reading i. */
  kindAt(i: number): 'number' | 'boolean' | 'text' {
    const k = this.flags[i] & KIND_MASK;
    return k === KIND_NUMBER ? 'number' : k === KIND_BOOLEAN ? 'boolean' : 'text';
  }

  deviceTsAt(i: number): boolean {
    return (this.flags[i] & FLAG_DEVICE_TS) !== 0;
  }

  unitAt(i: number): string | undefined {
    return this.flags[i] & FLAG_UNIT ? this.strings[this.unit[i]] : undefined;
  }

  /** The text value of reading i, when it is text. */
  textAt(i: number): string | undefined {
    return (this.flags[i] & KIND_MASK) === KIND_TEXT ? this.strings[this.num[i]] : undefined;
  }

  /** Reading i as a plain, fresh object (the receiver may keep it). */
  at(i: number): Reading {
    const f = this.flags[i];
    const s = this.strings;
    const k = f & KIND_MASK;
    const value = k === KIND_NUMBER ? this.num[i] : k === KIND_BOOLEAN ? this.num[i] !== 0 : s[this.num[i]];
    const r: Reading = {
      deviceId: s[this.deviceId[i]],
      site: s[this.site[i]],
      room: s[this.room[i]],
      device: s[this.device[i]],
      attribute: s[this.attribute[i]],
      value,
      ts: this.ts[i],
      deviceTs: (f & FLAG_DEVICE_TS) !== 0,
    };
    if (f & FLAG_UNIT) r.unit = s[this.unit[i]];
    if (f & FLAG_CONVERTED) r.converted = s[this.converted[i]];
    return r;
  }

  /** The readings as a plain array of fresh objects. */
  readings(): Reading[] {
    const n = this.length;
    const out = new Array<Reading>(n);
    for (let i = 0; i < n; i++) out[i] = this.at(i);
    return out;
  }

  forEach(fn: (r: Reading, i: number) => void): void {
    const n = this.length;
    for (let i = 0; i < n; i++) fn(this.at(i), i);
  }

  /**
   * Calls `fn` with each reading in one reused object: no allocation per reading, for receivers
   * that copy what they keep (the live dashboard). The object is only valid during the call.
   */
  scan(fn: (r: Readonly<Reading>, i: number) => void): void {
    const n = this.length;
    const s = this.strings;
    const r: Reading = { deviceId: '', site: '', room: '', device: '', attribute: '', value: 0, ts: 0, deviceTs: false };
    for (let i = 0; i < n; i++) {
      const f = this.flags[i];
      const k = f & KIND_MASK;
      r.deviceId = s[this.deviceId[i]];
      r.site = s[this.site[i]];
      r.room = s[this.room[i]];
      r.device = s[this.device[i]];
      r.attribute = s[this.attribute[i]];
      r.value = k === KIND_NUMBER ? this.num[i] : k === KIND_BOOLEAN ? this.num[i] !== 0 : s[this.num[i]];
      r.ts = this.ts[i];
      r.deviceTs = (f & FLAG_DEVICE_TS) !== 0;
      r.unit = f & FLAG_UNIT ? s[this.unit[i]] : undefined;
      r.converted = f & FLAG_CONVERTED ? s[this.converted[i]] : undefined;
      fn(r, i);
    }
  }

  *[Symbol.iterator](): IterableIterator<Reading> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield this.at(i);
  }

  /** Written as the plain reading array: what a debug node, a file or another system reads. */
  toJSON(): Reading[] {
    return this.readings();
  }
}

/** True for a batch sent by octopus-parse (or a clone of one made by Node-RED). */
export function isReadingBatch(x: unknown): x is ReadingBatch {
  return x instanceof ReadingBatch;
}

/**
 * Checks that a batch's columns agree (a user's function node may have edited one): equal
 * lengths and every string index in range. O(n) over typed arrays, no allocation.
 */
export function batchProblem(b: ReadingBatch): string | undefined {
  const n = b.flags.length;
  if (!Array.isArray(b.strings)) return 'batch.strings must be an array';
  for (const s of b.strings) if (typeof s !== 'string') return 'batch.strings must hold strings';
  const cols = [b.deviceId, b.site, b.room, b.device, b.attribute, b.unit, b.converted];
  for (const c of cols) if (!(c instanceof Uint32Array) || c.length !== n) return 'batch columns must be Uint32Arrays of one length';
  if (!(b.ts instanceof Float64Array) || b.ts.length !== n || !(b.num instanceof Float64Array) || b.num.length !== n) return 'batch ts/num must be Float64Arrays of one length';
  const m = b.strings.length;
  for (let i = 0; i < n; i++) {
    const f = b.flags[i];
    if (b.deviceId[i] >= m || b.site[i] >= m || b.room[i] >= m || b.device[i] >= m || b.attribute[i] >= m) return `reading ${i} names a string the batch does not hold`;
    if ((f & FLAG_UNIT && b.unit[i] >= m) || (f & FLAG_CONVERTED && b.converted[i] >= m)) return `reading ${i} names a string the batch does not hold`;
    const k = f & KIND_MASK;
    const v = b.num[i];
    if (k === 3) return `reading ${i} has no value kind`;
    if (!Number.isFinite(v) || !Number.isFinite(b.ts[i])) return `reading ${i} has a value or time that is not a finite number`;
    if (k === KIND_TEXT && !(Number.isInteger(v) && v >= 0 && v < m)) return `reading ${i} names a string the batch does not hold`;
    if (s0(b, i) === '' || b.strings[b.attribute[i]] === '') return `reading ${i} has an empty device id or attribute`;
  }
  return undefined;
}

function s0(b: ReadingBatch, i: number): string {
  return b.strings[b.deviceId[i]];
}

/**
 * Builds a ReadingBatch reading by reading. Each distinct string is stored once; a device seen
 * before reuses its site, room and device indexes with one map lookup.
 */
export class ReadingBatchBuilder {
  private strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** deviceId → index of its [deviceId, site, room, device] in `devices`. */
  private readonly deviceIndex = new Map<string, number>();
  private devices: number[] = [];
  private n = 0;
  private cap: number;
  private deviceId: Uint32Array;
  private site: Uint32Array;
  private room: Uint32Array;
  private device: Uint32Array;
  private attribute: Uint32Array;
  private unit: Uint32Array;
  private converted: Uint32Array;
  private ts: Float64Array;
  private num: Float64Array;
  private flags: Uint8Array;

  constructor(capacity = 64) {
    this.cap = Math.max(1, capacity);
    this.deviceId = new Uint32Array(this.cap);
    this.site = new Uint32Array(this.cap);
    this.room = new Uint32Array(this.cap);
    this.device = new Uint32Array(this.cap);
    this.attribute = new Uint32Array(this.cap);
    this.unit = new Uint32Array(this.cap);
    this.converted = new Uint32Array(this.cap);
    this.ts = new Float64Array(this.cap);
    this.num = new Float64Array(this.cap);
    this.flags = new Uint8Array(this.cap);
  }

  get length(): number {
    return this.n;
  }

  /** Adds a reading (its fields are copied; the object is not kept). */
  add(r: Reading): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    let d = this.deviceIndex.get(r.deviceId);
    if (d === undefined || this.strings[this.devices[d + 1]] !== r.site || this.strings[this.devices[d + 2]] !== r.room || this.strings[this.devices[d + 3]] !== r.device) {
      d = this.devices.length;
      this.devices.push(this.intern(r.deviceId), this.intern(r.site), this.intern(r.room), this.intern(r.device));
      this.deviceIndex.set(r.deviceId, d);
    }
    const ds = this.devices;
    this.deviceId[i] = ds[d];
    this.site[i] = ds[d + 1];
    this.room[i] = ds[d + 2];
    this.device[i] = ds[d + 3];
    this.attribute[i] = this.intern(r.attribute);
    this.ts[i] = r.ts;
    let f = r.deviceTs ? FLAG_DEVICE_TS : 0;
    const v = r.value;
    if (typeof v === 'number') {
      this.num[i] = v;
    } else if (typeof v === 'boolean') {
      f |= KIND_BOOLEAN;
      this.num[i] = v ? 1 : 0;
    } else {
      f |= KIND_TEXT;
      this.num[i] = this.intern(String(v));
    }
    if (r.unit !== undefined) {
      f |= FLAG_UNIT;
      this.unit[i] = this.intern(r.unit);
    } else {
      this.unit[i] = 0;
    }
    if (r.converted !== undefined) {
      f |= FLAG_CONVERTED;
      this.converted[i] = this.intern(r.converted);
    } else {
      this.converted[i] = 0;
    }
    this.flags[i] = f;
  }

  /** Adds reading i of another batch. */
  addFrom(b: ReadingBatch, i: number): void {
    this.add(b.at(i));
  }

  /** The batch of what was added; the builder starts empty again. Columns are cut to length, so a clone copies no slack. */
  finish(): ReadingBatch {
    const n = this.n;
    const batch = new ReadingBatch({
      strings: this.strings,
      deviceId: this.deviceId.slice(0, n),
      site: this.site.slice(0, n),
      room: this.room.slice(0, n),
      device: this.device.slice(0, n),
      attribute: this.attribute.slice(0, n),
      unit: this.unit.slice(0, n),
      converted: this.converted.slice(0, n),
      ts: this.ts.slice(0, n),
      num: this.num.slice(0, n),
      flags: this.flags.slice(0, n),
    });
    this.strings = [];
    this.index.clear();
    this.deviceIndex.clear();
    this.devices = [];
    this.n = 0;
    return batch;
  }

  private intern(s: string): number {
    let k = this.index.get(s);
    if (k === undefined) {
      k = this.strings.length;
      this.strings.push(s);
      this.index.set(s, k);
    }
    return k;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const grow32 = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.deviceId = grow32(this.deviceId);
    this.site = grow32(this.site);
    this.room = grow32(this.room);
    this.device = grow32(this.device);
    this.attribute = grow32(this.attribute);
    this.unit = grow32(this.unit);
    this.converted = grow32(this.converted);
    this.ts = grow64(this.ts);
    this.num = grow64(this.num);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    this.cap = cap;
  }
}

/** One text[] literal element: quoted, `\\` and `"` escaped. Throws for a non-string (a bug upstream: poison). */
function arrayElement(s: unknown): string {
  if (typeof s !== 'string') throw new TypeError(`a reading field that must be text is ${s === null ? 'null' : typeof s}`);
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${s}"`;
}

/** Postgres array literals of the batches' columns, for one unnest insert; see lib/db/readings-store.ts. */
export interface ColumnLiterals {
  count: number;
  deviceId: string;
  attribute: string;
  ts: string;
  num: string;
  flags: string;
  text: string;
  unit: string;
}

/**
 * Builds each column's literal once for all the batches: the numeric columns with the typed
 * arrays' native join, the text columns from each batch's strings, escaped once per distinct string.
 */
export function batchColumnLiterals(batches: readonly ReadingBatch[]): ColumnLiterals {
  let count = 0;
  for (const b of batches) count += b.length;
  const device = new Array<string>(count);
  const attribute = new Array<string>(count);
  const text = new Array<string>(count);
  const unit = new Array<string>(count);
  const ts: string[] = [];
  const num: string[] = [];
  const flags: string[] = [];
  let k = 0;
  for (const b of batches) {
    const n = b.length;
    if (n === 0) continue;
    const esc = b.strings.map(arrayElement);
    for (let i = 0; i < n; i++, k++) {
      const f = b.flags[i];
      device[k] = esc[b.deviceId[i]];
      attribute[k] = esc[b.attribute[i]];
      text[k] = (f & KIND_MASK) === KIND_TEXT ? esc[b.num[i]] : 'NULL';
      unit[k] = f & FLAG_UNIT ? esc[b.unit[i]] : 'NULL';
    }
    ts.push(b.ts.join(','));
    num.push(b.num.join(','));
    flags.push(b.flags.join(','));
  }
  const lit = (parts: string[]) => `{${parts.join(',')}}`;
  return { count, deviceId: lit(device), attribute: lit(attribute), ts: lit(ts), num: lit(num), flags: lit(flags), text: lit(text), unit: lit(unit) };
}

/**
 * The latest reading time of each device in the batches (one entry per device), for the devices
 * table: computed per distinct string, not per reading.
 */
export function latestPerDevice(batches: readonly ReadingBatch[]): Map<string, { deviceId: string; site: string; room: string; device: string; ts: number }> {
  const out = new Map<string, { deviceId: string; site: string; room: string; device: string; ts: number }>();
  for (const b of batches) {
    const n = b.length;
    // per string index of a device id: the reading with the latest time
    const best = new Int32Array(b.strings.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const d = b.deviceId[i];
      const j = best[d];
      if (j < 0 || b.ts[j] < b.ts[i]) best[d] = i;
    }
    for (let d = 0; d < best.length; d++) {
      const i = best[d];
      if (i < 0) continue;
      const id = b.strings[d];
      const seen = out.get(id);
      if (!seen || seen.ts < b.ts[i]) out.set(id, { deviceId: id, site: b.strings[b.site[i]], room: b.strings[b.room[i]], device: b.strings[b.device[i]], ts: b.ts[i] });
    }
  }
  return out;
}

/** A batch of plain readings (from a function node, say). */
export function batchOf(readings: readonly Reading[]): ReadingBatch {
  const b = new ReadingBatchBuilder(readings.length);
  for (const r of readings) b.add(r);
  return b.finish();
}
