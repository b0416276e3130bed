import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { octopusRuntime } from '../octopus-runtime';
import { readNodeConfig, refuseConfig } from '../../lib/node-config/node-config';
import { numberSetting } from '../../lib/node-config/number-settings';
import { Batcher } from '../../lib/ingest/6-batcher';
import type { DeadLetter } from '../../lib/ingest/8-readings-store';
import { messageAckOf } from '../../lib/ingest/3-message-ack';
import { readingProblem, type Reading, type Reject } from '../../lib/model/reading';
import { batchProblem, isReadingBatch } from '../../lib/ingest/5-reading-batch';
import { DeviceTouches } from '../../lib/ingest/7-device-touches';
import { deadLetterForRejects } from '../../lib/ingest/7-dead-letter';
import { storeBatch, type StoreItem } from '../../lib/ingest/7-store-batch';
import { RateLimitedLog, ThrottledStatus } from '../../lib/util/throttled-status';
import type { PostgresConfigNode } from '../octopus-postgres/types';

/** Batches written at once; the default pool (4 connections) leaves one for other queries. */
const STORE_CONCURRENCY = 3;

interface PendingMessage extends StoreItem {
  settle: () => void;
}

interface StoreCounters {
  received: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
  failedAttempts: number;
  /** Batches that held a message the store could not write, split to set it apart. */
  poisonBatches: number;
  /** Messages set apart that way and dead-lettered. */
  poisonMessages: number;
}

type StoreInput = NodeMessageInFlow & { rejects?: Reject[]; omittedRejects?: Partial<Record<string, number>> };

/** Turns an incoming message into store work; anything unusable becomes a dead letter, never a drop. */
function toStoreItem(msg: StoreInput): StoreItem {
  const topic = typeof msg.topic === 'string' ? msg.topic : undefined;
  const raw = Buffer.isBuffer(msg.payload) ? msg.payload : typeof msg.payload === 'string' ? Buffer.from(msg.payload) : undefined;
  if (Array.isArray(msg.rejects) && msg.rejects.length > 0) {
    // One refused message, one dead letter: its reasons summarised, its payload capped.
    return { readings: [], deadLetters: [deadLetterForRejects(topic, raw, msg.rejects, msg.omittedRejects)], topic, payload: raw };
  }
  if (isReadingBatch(msg.payload)) {
    // octopus-parse's columnar batch goes to Postgres as it is; one a flow edited into nonsense is a dead letter.
    const batch = msg.payload;
    const problem = batchProblem(batch);
    if (!problem) return { readings: [], batch, deadLetters: [], topic, payload: raw };
    const reason = `octopus-store received a reading batch it cannot read: ${problem}`;
    return { readings: [], deadLetters: [{ topic, payload: Buffer.from(safeJson(batch)), code: 'value-invalid', reason }], topic, payload: raw };
  }
  const candidates: unknown[] = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
  const readings: Reading[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const c of candidates) {
    const problem = readingProblem(c);
    if (problem) {
      deadLetters.push({
        topic,
        payload: raw ?? Buffer.from(safeJson(c)),
        code: 'value-invalid',
        reason: `octopus-store received something that is not a reading: ${problem}`,
      });
    } else {
      readings.push(c as Reading);
    }
  }
  return { readings, deadLetters, topic, payload: raw };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export = function register(RED: NodeAPI): void {
  // The Octopus routes (/metrics among them) exist from the moment the pack loads.
  const runtime = octopusRuntime(RED);

  function OctopusStoreNode(this: Node, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readNodeConfig('octopus-store', saved);
    if (!read.ok) return refuseConfig(node, 'octopus-store', read.problem);
    if (read.note) node.log(read.note);
    const def = read.config;
    const status = new ThrottledStatus((s) => node.status(s));
    const log = new RateLimitedLog((line) => node.warn(line));
    const config = RED.nodes.getNode(def.database ?? '') as PostgresConfigNode | null;
    const batchSize = Number(def.batchSize) || 1000;
    const batchWaitMs = numberSetting(def.batchWaitMs, 100);
    const problem =
      (!config && 'no database configured') ||
      config?.problem ||
      (!(batchSize >= 1 && batchSize <= 100000) && `batch size ${batchSize} is outside 1–100000`) ||
      (!(batchWaitMs >= 0 && batchWaitMs <= 60000) && `batch wait ${batchWaitMs} ms is outside 0–60000`) ||
      undefined;
    const database = config?.database;
    // Every message fails so a Catch node sees it; nothing is acknowledged, so the broker keeps it.
    if (problem || !database) return refuseConfig(node, 'octopus-store', String(problem ?? 'database unavailable'));

    const touches = new DeviceTouches();
    // The batch in hand on close must still reach the database, even if its config node closes first.
    const releaseDatabase = database.retain();
    const counters: StoreCounters = { received: 0, stored: 0, duplicates: 0, deadLettered: 0, batches: 0, failedAttempts: 0, poisonBatches: 0, poisonMessages: 0 };
    let lastError = '';
    let lastPoison = '';
    const showStatus = () => {
      if (lastError) {
        status.set({ fill: 'red', shape: 'ring', text: `waiting for database: ${lastError} · ${batcher.size} queued` });
      } else {
        const dl = counters.deadLettered ? ` · ${counters.deadLettered} dead-lettered` : '';
        if (counters.poisonMessages > 0) {
          const why = lastPoison.length > 60 ? `${lastPoison.slice(0, 60)}…` : lastPoison;
          status.set({ fill: 'yellow', shape: 'dot', text: `${counters.stored} stored${dl} · ${counters.poisonMessages} could not be written (last: ${why})` });
        } else {
          status.set({ fill: 'green', shape: 'dot', text: `${counters.stored} stored${dl}` });
        }
      }
    };

    const batcher = new Batcher<PendingMessage>({
      maxItems: batchSize,
      maxWaitMs: batchWaitMs,
      // One batch commits while the next is written: the database's latency no longer caps throughput.
      concurrency: STORE_CONCURRENCY,
      // A message may carry hundreds of readings (a grouped source): batch size counts readings.
      weight: (item) => item.readings.length + (item.batch?.length ?? 0) + item.deadLetters.length,
      // Short enough that ingest resumes within seconds of the database coming back.
      maxBackoffMs: 2000,
      flush: async (items) => {
        const pool = await database.ready();
        const started = process.hrtime.bigint();
        const outcome = await storeBatch(pool, items, touches);
        runtime.metrics.commitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        runtime.metrics.batchSize.observe(outcome.stored + outcome.duplicates);
        counters.batches++;
        counters.stored += outcome.stored;
        counters.duplicates += outcome.duplicates;
        counters.deadLettered += outcome.deadLettered;
        if (outcome.poison) {
          counters.poisonBatches++;
          counters.poisonMessages += outcome.poison.messages;
          lastPoison = outcome.poison.reason;
          log.write(`set apart and dead-lettered ${outcome.poison.messages} message(s) of a batch of ${items.length} that cannot be written: ${outcome.poison.reason}`);
        }
        for (const item of items) item.settle();
      },
      onFlushError: (err, attempt, retryInMs) => {
        counters.failedAttempts++;
        lastError = err.message;
        database.reportFailure(err);
        log.write(`store failed (attempt ${attempt}), retrying in ${retryInMs} ms: ${err.message}`);
        showStatus();
      },
      onFlushed: () => {
        if (lastError) {
          node.log('database is back; storing resumed');
          database.reportSuccess();
        }
        lastError = '';
        showStatus();
      },
    });

    node.on('input', (msg, _send, done) => {
      counters.received++;
      const item = toStoreItem(msg as StoreInput);
      const ack = messageAckOf(msg as { octopusAck?: unknown });
      batcher.add({
        ...item,
        settle: () => {
          ack?.release();
          done();
        },
      });
    });

    const unregisterStats = runtime.metrics.registerStatsSource(node.id, () => ({
      committed: counters.stored,
      duplicates: counters.duplicates,
      deadLettered: counters.deadLettered,
      poisonBatches: counters.poisonBatches,
      poisonMessages: counters.poisonMessages,
      queued: batcher.size,
    }));
    status.set({ fill: 'grey', shape: 'ring', text: `waiting for readings (${config.target})` });
    database.ready().catch((err: Error) => {
      lastError = err.message;
      showStatus();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Let the batch in hand commit (bounded wait); what is left stays unacknowledged at the broker.
      const finish = () => {
        releaseDatabase();
        unregisterStats();
        batcher.close();
        status.close();
        done();
      };
      if (lastError) return finish();
      const timeout = setTimeout(finish, 10000);
      batcher.drain().then(() => {
        clearTimeout(timeout);
        finish();
      });
    });
  }

  RED.nodes.registerType('octopus-store', OctopusStoreNode);
};
