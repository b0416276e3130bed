import type { Pool } from 'pg';
import { exportStatement, type ExportQuery } from './export-query';
import { CSV_BOM, csvLine, formatRows, type ExportFormat, type ExportRow } from './export-format';

/**
 * Streams an export to `out` from a server-side cursor (SQL DECLARE … CURSOR / FETCH, so no driver
 * add-on): at most BATCH rows are in memory at a time and the next batch is fetched only once
 * `out` has taken the last one (back-pressure), so memory stays flat whatever the size. The
 * cursor runs in a read-only transaction of its own connection, with the time zone the times are
 * written in; a reader that goes away ends the export and frees the connection.
 */

export const BATCH = 2000;

/** A reader that takes nothing for this long is let go: its export would hold a connection and a slot for ever. */
export const STALL_MS = 60_000;

/** Exports running at once in this process: each holds a database connection for its duration. */
export const MAX_CONCURRENT_EXPORTS = 2;
let running = 0;

/** A slot for one export, or undefined when MAX_CONCURRENT_EXPORTS are running (the caller answers 503). */
export function takeExportSlot(): (() => void) | undefined {
  if (running >= MAX_CONCURRENT_EXPORTS) return undefined;
  running++;
  let released = false;
  return () => {
    if (!released) running--;
    released = true;
  };
}

/** What an export writes to: an HTTP response, a file stream. */
export interface ExportSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

export interface ExportOutcome {
  rows: number;
  /** The reader went away (or stalled) before the end: the output is incomplete. */
  aborted: boolean;
}

export async function streamExport(pool: Pool, q: ExportQuery, format: ExportFormat, out: ExportSink): Promise<ExportOutcome> {
  const statement = await exportStatement(pool, q);
  const client = await pool.connect();
  let rows = 0;
  let aborted = false;
  try {
    await client.query('begin read only');
    await client.query("select set_config('TimeZone', $1, true)", [q.timeZone]);
    // Parameters are bound in DECLARE too (extended protocol): the query stays parameterised.
    await client.query(`declare octopus_export no scroll cursor for ${statement.sql}`, statement.params);
    if (format === 'csv' && !(await write(out, CSV_BOM + csvLine([...statement.columns])))) aborted = true;
    while (!aborted) {
      const batch = (await client.query<Record<string, unknown>>(`fetch forward ${BATCH} from octopus_export`)).rows;
      if (batch.length === 0) break;
      rows += batch.length;
      const text = formatRows(format, statement.columns, q.resolution === 'raw' ? batch.map(rawRow) : (batch as ExportRow[]));
      if (!(await write(out, text))) aborted = true;
    }
    // Ending the transaction closes the cursor; after an error the rollback below does.
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return { rows, aborted };
}

/** A raw reading's one value column: the number, the boolean or the text it holds. */
function rawRow(r: Record<string, unknown>): ExportRow {
  const value = (r.num ?? r.bool ?? r.text ?? null) as ExportRow[string];
  return { time: r.time as string, device_id: r.device_id as string, site: r.site as string, room: r.room as string, device: r.device as string, attribute: r.attribute as string, value, unit: (r.unit ?? null) as string | null };
}

/** Writes, waiting for the sink to drain when it is full; false when it closed instead, or took nothing for STALL_MS. */
function write(out: ExportSink, chunk: string): Promise<boolean> {
  if (out.destroyed) return Promise.resolve(false);
  if (out.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      out.off('drain', drained);
      out.off('close', closed);
      resolve(ok);
    };
    const drained = () => done(true);
    const closed = () => done(false);
    const timer = setTimeout(closed, STALL_MS);
    out.once('drain', drained);
    out.once('close', closed);
  });
}
