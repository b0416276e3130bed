import type { DeadLetter } from './8-readings-store';
import type { Reading } from '../model/reading';
import type { ReadingBatch } from './5-reading-batch';

/** What the store is handed per message, and what a batch's write came to (store-batch.ts, poison.ts). */
export interface StoreItem {
  readings: Reading[];
  /** Readings by column (octopus-parse's output), stored along with `readings`. */
  batch?: ReadingBatch;
  deadLetters: DeadLetter[];
  /** The message's topic and raw payload: what its dead letter holds if the store cannot write it. */
  topic?: string;
  payload?: Buffer;
  /** Set once the item's transaction committed, so that a retry of its batch does not write it twice. */
  committed?: boolean;
}

export interface StoreOutcome {
  stored: number;
  duplicates: number;
  deadLettered: number;
  /**
   * Present when the batch failed for a reason that is not the database's availability (a bug, a
   * size limit, a value Postgres refuses) and was split to dead-letter the messages that cannot be
   * written: how many, and why the first failed.
   */
  poison?: { messages: number; reason: string };
}
