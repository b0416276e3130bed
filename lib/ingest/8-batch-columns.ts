import { FLAG_UNIT, KIND_MASK, KIND_TEXT, type ReadingBatch } from './5-reading-batch';

/**
 * How the store hands columnar batches (lib/ingest/5-reading-batch.ts) to Postgres: each column as
 * one array literal, built once from the batch, so node-postgres has nothing left to convert.
 */

/** One text[] literal element: quoted, `\\` and `"` escaped. Throws for a non-string (a bug upstream: poison). */
function arrayElement(s: unknown): string {
  if (typeof s !== 'string') throw new TypeError(`a reading field that must be text is ${s === null ? 'null' : typeof s}`);
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${s}"`;
}

/** Postgres array literals of the batches' columns, for one unnest insert; see lib/ingest/8-readings-store.ts. */
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
    const c = b.columns();
    const esc = b.strings.map(arrayElement);
    for (let i = 0; i < n; i++, k++) {
      const f = c.flags[i];
      device[k] = esc[c.deviceId[i]];
      attribute[k] = esc[c.attribute[i]];
      text[k] = (f & KIND_MASK) === KIND_TEXT ? esc[c.num[i]] : 'NULL';
      unit[k] = f & FLAG_UNIT ? esc[c.unit[i]] : 'NULL';
    }
    ts.push(c.ts.join(','));
    num.push(c.num.join(','));
    flags.push(c.flags.join(','));
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
    const c = b.columns();
    // per string index of a device id: the reading with the latest time
    const best = new Int32Array(b.strings.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const d = c.deviceId[i];
      const j = best[d];
      if (j < 0 || c.ts[j] < c.ts[i]) best[d] = i;
    }
    for (let d = 0; d < best.length; d++) {
      const i = best[d];
      if (i < 0) continue;
      const id = b.strings[d];
      const seen = out.get(id);
      if (!seen || seen.ts < c.ts[i]) out.set(id, { deviceId: id, site: b.strings[c.site[i]], room: b.strings[c.room[i]], device: b.strings[c.device[i]], ts: c.ts[i] });
    }
  }
  return out;
}

