/**
 * Poison isolation for the store (issue #15). A batch can fail for two kinds of reasons:
 *
 *  - the database is unavailable (network, restart, too many connections, a lock, a missing table
 *    the operator must fix): every message would fail the same way, so the batch is retried as a
 *    whole and the broker keeps the messages unacknowledged meanwhile;
 *  - something in the batch cannot be written (a bug that throws while building the query, a size
 *    limit such as `RangeError: Invalid string length`, a value Postgres refuses): retrying changes
 *    nothing, and retrying forever stops ingest for every house behind it.
 *
 * The second kind is isolated: the batch is split in halves, each half written in its own
 * transaction, down to the single messages that still fail; those are dead-lettered (bounded row,
 * with the error) and everything else commits.
 */
import type { DeadLetter } from './8-readings-store';
import { boundDeadLetter, describeError, storableText } from './7-dead-letter';
import type { StoreItem, StoreOutcome } from './7-store-item';

/**
 * SQLSTATE classes of an unavailable or not-ready database: connection exceptions (08), invalid
 * authorization (28), missing catalog/schema (3D, 3F), transaction rollbacks such as deadlocks
 * and serialization failures (40), schema or privilege problems (42: a table not migrated yet),
 * insufficient resources (53: disk full, too many connections), objects not in the required state
 * such as a lock not available (55), operator intervention (57: shutdown, "cannot connect now",
 * statement timeout), system and configuration errors (58, F0) and internal errors (XX).
 */
const AVAILABILITY_SQLSTATE = /^(08|28|3D|3F|40|42|53|55|57|58|F0|XX)/;
/** Node's system errors of a network that does not answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOENT', // a Unix socket path that is not there (yet)
]);
/** What node-postgres and the pool say, without a code, when the connection is the problem. */
const AVAILABILITY_MESSAGE =
  /connection terminated|connection error|not queryable|timeout|timed out|client was closed|cannot use a pool after calling end|the database system is|server closed the connection|socket hang up|ECONNREFUSED|ECONNRESET/i;

/** True when `err` says the database is unavailable: retry the batch. False: the batch holds poison. */
export function isAvailabilityError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(e.code)) return AVAILABILITY_SQLSTATE.test(e.code);
    if (NETWORK_CODES.has(e.code)) return true;
  }
  // Node's AggregateError when every address of the host refused
  if (Array.isArray(e.errors) && e.errors.some((x) => isAvailabilityError(x))) return true;
  if (err instanceof RangeError || err instanceof TypeError) return false;
  return typeof e.message === 'string' && AVAILABILITY_MESSAGE.test(e.message);
}

type Write = (items: readonly StoreItem[]) => Promise<StoreOutcome>;

/**
 * Splits a batch that failed with `firstError` (not an availability error) until the messages that
 * cannot be written are found; writes the others, dead-letters those. Throws only if the database
 * becomes unavailable meanwhile (the caller retries; committed items are marked and skipped).
 */
export async function isolatePoison(items: readonly StoreItem[], firstError: unknown, write: Write): Promise<StoreOutcome> {
  const total: StoreOutcome = { stored: 0, duplicates: 0, deadLettered: 0, poison: { messages: 0, reason: describeError(firstError) } };
  const add = (o: StoreOutcome) => {
    total.stored += o.stored;
    total.duplicates += o.duplicates;
    total.deadLettered += o.deadLettered;
  };

  const bury = async (item: StoreItem, err: unknown, batchSize: number) => {
    const letter = poisonDeadLetter(item, err, batchSize);
    const grave: StoreItem = { readings: [], deadLetters: [letter] };
    try {
      add(await write([grave]));
    } catch (again) {
      if (isAvailabilityError(again)) throw again;
      // Even the bounded dead letter would not go in: the bare facts, nothing from the message but its topic.
      add(await write([{ readings: [], deadLetters: [{ topic: letter.topic, payload: undefined, code: 'store-failed', reason: letter.reason }] }]));
    }
    item.committed = true;
    total.poison!.messages++;
  };

  const split = async (part: readonly StoreItem[], err: unknown): Promise<void> => {
    if (part.length === 1) return bury(part[0], err, items.length);
    const mid = Math.ceil(part.length / 2);
    for (const half of [part.slice(0, mid), part.slice(mid)]) {
      try {
        add(await write(half));
      } catch (e) {
        if (isAvailabilityError(e)) throw e;
        await split(half, e);
      }
    }
  };

  await split(items, firstError);
  return total;
}

/** The dead letter of a message the store could not write: its topic, payload (or readings), the error. */
export function poisonDeadLetter(item: StoreItem, err: unknown, batchSize: number): DeadLetter {
  // A columnar batch (octopus-parse's output) is told by its first 20 readings, like a plain list.
  const batch = item.batch;
  const some = item.readings.length > 0 ? item.readings.slice(0, 20) : batch && batch.length > 0 ? Array.from({ length: Math.min(20, batch.length) }, (_, i) => batch.at(i)) : [];
  const firstReading = some[0];
  const firstLetter = item.deadLetters[0];
  const topic = item.topic ?? firstLetter?.topic ?? (firstReading ? `${firstReading.deviceId}/${firstReading.attribute}` : undefined);
  const payload = item.payload ?? firstLetter?.payload ?? (some.length > 0 ? Buffer.from(safeJson(some)) : undefined);
  const error = describeError(err);
  const sqlstate = (err as { code?: unknown } | null)?.code;
  return boundDeadLetter({
    topic: topic === undefined ? undefined : storableText(topic, 1024),
    payload,
    code: 'store-failed',
    reason: storableText(
      `the store could not write this message (${error}); it was set apart from its batch of ${batchSize} so that the other messages commit`,
      2000,
    ),
    detail: {
      error: storableText(error, 500),
      sqlstate: typeof sqlstate === 'string' ? sqlstate : undefined,
      readings: item.readings.length + (batch?.length ?? 0),
      deadLetters: item.deadLetters.length,
      // what the message's own dead letters said (a parser reject, say), so that nothing is lost
      refused: item.deadLetters.slice(0, 5).map((d) => ({ code: d.code, reason: storableText(String(d.reason), 300) })),
    },
  });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch (err) {
    return `(not JSON: ${describeError(err)})`;
  }
}
