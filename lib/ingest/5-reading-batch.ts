import type { Reading } from '../model/reading';

/**
 * Many readings in one object, by column: what octopus-parse sends on output 1 (issue #23).
 *
 * Node-RED deep-clones a message for every extra wire on an output (lodash cloneDeep). An array of
 * reading objects costs a walk over every field of every reading per clone (and lodash walks a
 * typed array element by element too); a Buffer it passes on as a view of the same memory. So all
 * numbers live in one Buffer (`data`) and a clone costs that view plus one copy of the (short) list
 * of distinct strings. The clone keeps the prototype, so every receiver, a user's function node
 * included, can call the methods below:
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
export const KIND_MASK = 0b11;
export const KIND_NUMBER = 0;
export const KIND_BOOLEAN = 1;
export const KIND_TEXT = 2;
export const FLAG_DEVICE_TS = 1 << 2;
export const FLAG_UNIT = 1 << 3;
export const FLAG_CONVERTED = 1 << 4;

/** The columns of a batch, as typed arrays over its one Buffer; see ReadingBatch. */
export interface ReadingColumns {
  /** Per reading, indexes into `strings`. */
  deviceId: Uint32Array;
  site: Uint32Array;
  room: Uint32Array;
  device: Uint32Array;
  attribute: Uint32Array;
  /** Index into `strings` when FLAG_UNIT / FLAG_CONVERTED is set (0 otherwise). */
  unit: Uint32Array;
  converted: Uint32Array;
  /** Epoch milliseconds. */
  ts: Float64Array;
  /** The number; 1/0 for a boolean; the index into `strings` of a text value. */
  num: Float64Array;
  flags: Uint8Array;
}

/** Bytes per reading in `data`: ts and num (8 each), seven string indexes (4 each), flags (1). */
export const BYTES_PER_READING = 8 + 8 + 7 * 4 + 1;
const U32_COLUMNS = ['deviceId', 'site', 'room', 'device', 'attribute', 'unit', 'converted'] as const;

/** The typed-array views of a batch's Buffer; kept beside the batch, so a clone makes its own. */
const views = new WeakMap<ReadingBatch, ReadingColumns>();

/** Views over `data` laid out as [ts][num][7 × uint32 columns][flags], every column aligned. */
export function columnsOver(data: Buffer, n: number): ReadingColumns {
  if (data.byteOffset % 8 !== 0 || data.length !== n * BYTES_PER_READING) throw new RangeError('batch data does not hold its readings');
  const ab = data.buffer;
  const o = data.byteOffset;
  const u32 = (k: number) => new Uint32Array(ab, o + 16 * n + 4 * n * k, n);
  return {
    ts: new Float64Array(ab, o, n),
    num: new Float64Array(ab, o + 8 * n, n),
    deviceId: u32(0),
    site: u32(1),
    room: u32(2),
    device: u32(3),
    attribute: u32(4),
    unit: u32(5),
    converted: u32(6),
    flags: new Uint8Array(ab, o + 44 * n, n),
  };
}

export class ReadingBatch {
  readonly format = READING_BATCH_FORMAT;
  readonly length: number;
  /** Every distinct string of the batch, once. */
  readonly strings: string[];
  /**
   * Every column in one Buffer (columnsOver). Node-RED's clone (lodash cloneDeep) passes a Buffer
   * on as a view of the same memory, so a fan-out to four wires copies no reading at all: the
   * receivers of one output share the columns, as they share a Buffer payload. Read-only, then;
   * readings() gives a receiver its own plain copy.
   */
  readonly data: Buffer;

  constructor(strings: string[], data: Buffer, length: number) {
    this.strings = strings;
    this.data = data;
    this.length = length;
  }

  /** The typed-array views of the columns (made once per batch object). */
  columns(): ReadingColumns {
    let c = views.get(this);
    if (!c) {
      c = columnsOver(this.data, this.length);
      views.set(this, c);
    }
    return c;
  }

  /** 'number' | 'boolean' | 'text' of reading i. */
  kindAt(i: number): 'number' | 'boolean' | 'text' {
    const k = this.columns().flags[i] & KIND_MASK;
    return k === KIND_NUMBER ? 'number' : k === KIND_BOOLEAN ? 'boolean' : 'text';
  }

  deviceTsAt(i: number): boolean {
    return (this.columns().flags[i] & FLAG_DEVICE_TS) !== 0;
  }

  unitAt(i: number): string | undefined {
    const c = this.columns();
    return c.flags[i] & FLAG_UNIT ? this.strings[c.unit[i]] : undefined;
  }

  /** The text value of reading i, when it is text. */
  textAt(i: number): string | undefined {
    const c = this.columns();
    return (c.flags[i] & KIND_MASK) === KIND_TEXT ? this.strings[c.num[i]] : undefined;
  }

  /** Reading i as a plain, fresh object (the receiver may keep it). */
  at(i: number): Reading {
    return readingAt(this.strings, this.columns(), i);
  }

  /** The readings as a plain array of fresh objects. */
  readings(): Reading[] {
    const c = this.columns();
    const n = this.length;
    const out = new Array<Reading>(n);
    for (let i = 0; i < n; i++) out[i] = readingAt(this.strings, c, i);
    return out;
  }

  forEach(fn: (r: Reading, i: number) => void): void {
    const c = this.columns();
    const n = this.length;
    for (let i = 0; i < n; i++) fn(readingAt(this.strings, c, i), i);
  }

  /**
   * Calls `fn` with each reading in one reused object: no allocation per reading, for receivers
   * that copy what they keep (the live dashboard). The object is only valid during the call.
   */
  scan(fn: (r: Readonly<Reading>, i: number) => void): void {
    const c = this.columns();
    const n = this.length;
    const s = this.strings;
    const r: Reading = { deviceId: '', site: '', room: '', device: '', attribute: '', value: 0, ts: 0, deviceTs: false };
    for (let i = 0; i < n; i++) {
      const f = c.flags[i];
      const k = f & KIND_MASK;
      r.deviceId = s[c.deviceId[i]];
      r.site = s[c.site[i]];
      r.room = s[c.room[i]];
      r.device = s[c.device[i]];
      r.attribute = s[c.attribute[i]];
      r.value = k === KIND_NUMBER ? c.num[i] : k === KIND_BOOLEAN ? c.num[i] !== 0 : s[c.num[i]];
      r.ts = c.ts[i];
      r.deviceTs = (f & FLAG_DEVICE_TS) !== 0;
      r.unit = f & FLAG_UNIT ? s[c.unit[i]] : undefined;
      r.converted = f & FLAG_CONVERTED ? s[c.converted[i]] : undefined;
      fn(r, i);
    }
  }

  *[Symbol.iterator](): IterableIterator<Reading> {
    const c = this.columns();
    const n = this.length;
    for (let i = 0; i < n; i++) yield readingAt(this.strings, c, i);
  }

  /** Written as the plain reading array: what a debug node, a file or another system reads. */
  toJSON(): Reading[] {
    return this.readings();
  }
}

function readingAt(s: string[], c: ReadingColumns, i: number): Reading {
  const f = c.flags[i];
  const k = f & KIND_MASK;
  const value = k === KIND_NUMBER ? c.num[i] : k === KIND_BOOLEAN ? c.num[i] !== 0 : s[c.num[i]];
  const r: Reading = {
    deviceId: s[c.deviceId[i]],
    site: s[c.site[i]],
    room: s[c.room[i]],
    device: s[c.device[i]],
    attribute: s[c.attribute[i]],
    value,
    ts: c.ts[i],
    deviceTs: (f & FLAG_DEVICE_TS) !== 0,
  };
  if (f & FLAG_UNIT) r.unit = s[c.unit[i]];
  if (f & FLAG_CONVERTED) r.converted = s[c.converted[i]];
  return r;
}

/** True for a batch sent by octopus-parse (or a clone of one made by Node-RED). */
export function isReadingBatch(x: unknown): x is ReadingBatch {
  return x instanceof ReadingBatch;
}

/**
 * Checks a batch a user's function node may have edited or built: its data holds `length`
 * readings and every string index is in range. O(n) over the columns, no allocation per reading.
 */
export function batchProblem(b: ReadingBatch): string | undefined {
  const n = b.length;
  if (!Array.isArray(b.strings)) return 'batch.strings must be an array';
  for (const s of b.strings) if (typeof s !== 'string') return 'batch.strings must hold strings';
  if (!Number.isInteger(n) || n < 0 || !Buffer.isBuffer(b.data) || b.data.length !== n * BYTES_PER_READING || b.data.byteOffset % 8 !== 0) {
    return 'batch.data must be a Buffer of batch.length readings';
  }
  const c = b.columns();
  const m = b.strings.length;
  for (let i = 0; i < n; i++) {
    const f = c.flags[i];
    if (c.deviceId[i] >= m || c.site[i] >= m || c.room[i] >= m || c.device[i] >= m || c.attribute[i] >= m) return `reading ${i} names a string the batch does not hold`;
    if ((f & FLAG_UNIT && c.unit[i] >= m) || (f & FLAG_CONVERTED && c.converted[i] >= m)) return `reading ${i} names a string the batch does not hold`;
    const k = f & KIND_MASK;
    const v = c.num[i];
    if (k === 3) return `reading ${i} has no value kind`;
    if (!Number.isFinite(v) || !Number.isFinite(c.ts[i])) return `reading ${i} has a value or time that is not a finite number`;
    if (k === KIND_TEXT && !(Number.isInteger(v) && v >= 0 && v < m)) return `reading ${i} names a string the batch does not hold`;
    if (b.strings[c.deviceId[i]] === '' || b.strings[c.attribute[i]] === '') return `reading ${i} has an empty device id or attribute`;
  }
  return undefined;
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

  /** The batch of what was added (its own exact-size Buffer); the builder starts empty again. */
  finish(): ReadingBatch {
    const n = this.n;
    // not from the shared pool: the batch's Buffer starts at offset 0, so every column is aligned
    const data = Buffer.allocUnsafeSlow(n * BYTES_PER_READING);
    const c = columnsOver(data, n);
    c.ts.set(this.ts.subarray(0, n));
    c.num.set(this.num.subarray(0, n));
    for (const k of U32_COLUMNS) c[k].set(this[k].subarray(0, n));
    c.flags.set(this.flags.subarray(0, n));
    const batch = new ReadingBatch(this.strings, data, n);
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

/** A batch of plain readings (from a function node, say). */
export function batchOf(readings: readonly Reading[]): ReadingBatch {
  const b = new ReadingBatchBuilder(readings.length);
  for (const r of readings) b.add(r);
  return b.finish();
}
