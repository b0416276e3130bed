import type { Pool, PoolClient } from 'pg';
import { insertDeadLetters, insertReadingBatches, insertReadings, markRollupPendingBatches, upsertDevices, type DeadLetter } from './8-readings-store';
import type { Reading } from '../model/reading';
import { batchOf, type ReadingBatch } from './5-reading-batch';
import { latestPerDevice } from './8-batch-columns';
import { boundDeadLetter, deadLetterForRejects, DEAD_LETTER_REJECTS_MAX } from './7-dead-letter';
import type { DeviceTouches } from './7-device-touches';
import { isAvailabilityError, isolatePoison } from './7-poison';

export { isAvailabilityError } from './7-poison';

/** One incoming message's worth of work for the store: its readings and what it asks to dead-letter. */
import type { StoreItem, StoreOutcome } from './7-store-item';
export type { StoreItem, StoreOutcome } from './7-store-item';

/**
 * SQLSTATE classes that mean "this row is bad", not "the database is unwell": data exceptions (22),
 * integrity violations (23) and program limits such as an oversized index row (54). Such a batch
 * is split and the offending rows dead-lettered; any other error is retried as a whole.
 */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/**
 * Stores a batch, each message (item) in it exactly once. Throws only when the database is
 * unavailable (see isAvailabilityError): the caller retries the batch, and items already committed
 * are skipped. Any other failure is poison: the batch is split until the messages that cannot be
 * written are found, and those are dead-lettered with the reason while the others commit.
 */
export async function storeBatch(pool: Pool, items: readonly StoreItem[], touches?: DeviceTouches): Promise<StoreOutcome> {
  const pending = items.filter((item) => !item.committed);
  const write = (part: readonly StoreItem[]) => writeItems(pool, part, touches);
  try {
    return await write(pending);
  } catch (err) {
    if (isAvailabilityError(err)) throw err;
    return isolatePoison(pending, err, write);
  }
}

/** The dead letters of one message, bounded: many (a custom flow's) become one summarising row. */
function boundedDeadLetters(letters: readonly DeadLetter[]): DeadLetter[] {
  if (letters.length > DEAD_LETTER_REJECTS_MAX) {
    const first = letters[0];
    const values = letters.map((l) => ({ code: l.code, reason: l.reason, attribute: attributeOf(l.detail) }));
    return [deadLetterForRejects(first.topic, first.payload, values)];
  }
  return letters.map(boundDeadLetter);
}

function attributeOf(detail: unknown): string | undefined {
  const a = (detail as { attribute?: unknown } | undefined)?.attribute;
  return typeof a === 'string' ? a : undefined;
}

/** Writes the items in one transaction and marks them committed. Throws whatever failed. */
async function writeItems(pool: Pool, items: readonly StoreItem[], touches?: DeviceTouches): Promise<StoreOutcome> {
  if (items.length === 0) return { stored: 0, duplicates: 0, deadLettered: 0 };
  // Every reading by column: batches as they came, plain readings (a user's flow) made into one.
  let batches: ReadingBatch[] = [];
  const plain: Reading[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const item of items) {
    if (item.batch && item.batch.length > 0) batches.push(item.batch);
    for (const r of item.readings) plain.push(r);
    for (const d of boundedDeadLetters(item.deadLetters)) deadLetters.push(d);
  }
  if (plain.length > 0) batches.push(batchOf(plain));
  const client = await pool.connect();
  let broken = false;
  try {
    let stored: number;
    try {
      // one round trip for both (the simple protocol runs several statements)
      await client.query('begin; savepoint whole_batch');
      stored = await insertReadingBatches(client, batches);
    } catch (err) {
      if (!isRowError(err)) throw err;
      await client.query('rollback to savepoint whole_batch');
      const good = batches.flatMap((b) => b.readings());
      stored = await insertOneByOne(client, good, deadLetters);
      batches = [batchOf(good)];
    }
    await markRollupPendingBatches(client, batches);
    const latest = latestPerDevice(batches);
    const devices = touches ? touches.dueOf(latest) : [...latest.values()];
    await upsertDevices(client, devices);
    await insertDeadLetters(client, deadLetters);
    await client.query('commit');
    for (const item of items) item.committed = true;
    touches?.markWritten(devices);
    // Only what the database accepted is counted; the rest were already stored once.
    let accepted = 0;
    for (const b of batches) accepted += b.length;
    return { stored, duplicates: accepted - stored, deadLettered: deadLetters.length };
  } catch (err) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The slow path, taken only when a batch holds a bad row: each reading in its own savepoint. */
async function insertOneByOne(client: PoolClient, readings: Reading[], deadLetters: DeadLetter[]): Promise<number> {
  let stored = 0;
  const good: Reading[] = [];
  for (const r of readings) {
    await client.query('savepoint one_row');
    try {
      stored += await insertReadings(client, [r]);
      good.push(r);
    } catch (err) {
      if (!isRowError(err)) throw err;
      await client.query('rollback to savepoint one_row');
      deadLetters.push(
        boundDeadLetter({
          topic: `${r.deviceId}/${r.attribute}`,
          payload: Buffer.from(JSON.stringify(r)),
          code: 'store-failed',
          reason: `the database refused this reading: ${(err as Error).message}`,
          detail: { sqlstate: (err as { code?: string }).code },
        }),
      );
    }
  }
  readings.length = 0;
  readings.push(...good);
  return stored;
}
