import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics for the ingest path. Nodes keep plain integer counters on the hot path (a
 * prom-client `inc()` per message would cost more than parsing it) and register a function that
 * reports them; the metrics read those functions at scrape time. Counters of nodes that were
 * stopped (a redeploy) are kept, so totals never go backwards.
 */
export interface IngestStats {
  received?: number;
  parsed?: number;
  readings?: number;
  rejected?: Record<string, number>;
  committed?: number;
  duplicates?: number;
  deadLettered?: number;
  /** Store batches that held a message that cannot be written (not the database's availability), split to set it apart. */
  poisonBatches?: number;
  /** Messages set apart that way and dead-lettered. */
  poisonMessages?: number;
  inFlight?: number;
  oldestUnackedMs?: number;
  queued?: number;
  /** Readings in the default partition after the last history maintenance (waiting for their day's partition). */
  defaultPartitionRows?: number;
}

type StatsSource = () => IngestStats;

type Retired = Required<Omit<IngestStats, 'inFlight' | 'oldestUnackedMs' | 'queued' | 'defaultPartitionRows'>>;

export class IngestMetrics {
  /** What /metrics serves (lib/metrics/metrics-route.ts). */
  readonly registry = new Registry();
  readonly batchSize: Histogram;
  readonly commitSeconds: Histogram;
  private readonly sources = new Map<string, StatsSource>();
  private readonly retired: Retired = {
    received: 0,
    parsed: 0,
    readings: 0,
    rejected: {},
    committed: 0,
    duplicates: 0,
    deadLettered: 0,
    poisonBatches: 0,
    poisonMessages: 0,
  };

  constructor() {
    const { registry, sources, retired } = this;
    collectDefaultMetrics({ register: registry, prefix: 'octopus_process_' });

    const total = (pick: (s: IngestStats) => number | undefined, retiredValue: number): number => {
      let sum = retiredValue;
      for (const fn of sources.values()) sum += pick(fn()) ?? 0;
      return sum;
    };

    /** A counter whose value is read from the nodes' own counters when Prometheus scrapes. */
    const mirroredCounter = (name: string, help: string, read: () => number): void => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const now = read();
          if (now > reported) this.inc(now - reported);
          reported = Math.max(reported, now);
        },
      });
    };

    mirroredCounter('octopus_messages_received_total', 'MQTT messages received by octopus-mqtt-in nodes', () =>
      total((s) => s.received, retired.received),
    );
    mirroredCounter('octopus_messages_parsed_total', 'Messages parsed into at least one reading', () => total((s) => s.parsed, retired.parsed));
    mirroredCounter('octopus_readings_parsed_total', 'Readings produced by the parser', () => total((s) => s.readings, retired.readings));
    mirroredCounter('octopus_readings_committed_total', 'Readings committed to PostgreSQL', () => total((s) => s.committed, retired.committed));
    mirroredCounter('octopus_readings_duplicate_total', 'Redelivered readings already stored (skipped)', () =>
      total((s) => s.duplicates, retired.duplicates),
    );
    mirroredCounter('octopus_dead_letters_total', 'Messages or readings written to dead_letters', () =>
      total((s) => s.deadLettered, retired.deadLettered),
    );
    mirroredCounter(
      'octopus_store_poison_batches_total',
      'Store batches that failed for a reason other than the database being unavailable and were split to set apart what cannot be written',
      () => total((s) => s.poisonBatches, retired.poisonBatches),
    );
    mirroredCounter('octopus_store_poison_messages_total', 'Messages the store could not write, set apart from their batch and dead-lettered', () =>
      total((s) => s.poisonMessages, retired.poisonMessages),
    );

    const rejectedReported = new Map<string, number>();
    new Counter({
      name: 'octopus_messages_rejected_total',
      help: 'Messages or values the parser refused, by reason code',
      labelNames: ['code'],
      registers: [registry],
      collect() {
        const sums: Record<string, number> = { ...retired.rejected };
        for (const fn of sources.values()) {
          for (const [code, n] of Object.entries(fn().rejected ?? {})) sums[code] = (sums[code] ?? 0) + n;
        }
        for (const [code, n] of Object.entries(sums)) {
          const before = rejectedReported.get(code) ?? 0;
          if (n > before) this.inc({ code }, n - before);
          rejectedReported.set(code, Math.max(before, n));
        }
      },
    });

    new Gauge({
      name: 'octopus_messages_in_flight',
      help: 'MQTT messages received and not yet acknowledged to the broker',
      registers: [registry],
      collect() {
        this.set(total((s) => s.inFlight, 0));
      },
    });
    new Gauge({
      name: 'octopus_oldest_unacked_seconds',
      help: 'Age of the oldest MQTT message not yet acknowledged',
      registers: [registry],
      collect() {
        let oldest = 0;
        for (const fn of sources.values()) oldest = Math.max(oldest, fn().oldestUnackedMs ?? 0);
        this.set(oldest / 1000);
      },
    });
    new Gauge({
      name: 'octopus_store_queued_messages',
      help: 'Messages waiting in octopus-store nodes for their batch to commit',
      registers: [registry],
      collect() {
        this.set(total((s) => s.queued, 0));
      },
    });

    new Gauge({
      name: 'octopus_readings_default_partition_rows',
      help: 'Readings in the default partition at the last history maintenance: days without a partition yet, moved by the next runs',
      registers: [registry],
      collect() {
        // Several database nodes may maintain the same database: the largest figure, not a sum.
        let rows = 0;
        for (const fn of sources.values()) rows = Math.max(rows, fn().defaultPartitionRows ?? 0);
        this.set(rows);
      },
    });

    this.batchSize = new Histogram({
      name: 'octopus_store_batch_size',
      help: 'Readings per committed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    });

    this.commitSeconds = new Histogram({
      name: 'octopus_store_commit_duration_seconds',
      help: 'Time to write and commit one batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  /** Registers a node's counters; call the returned function when the node closes. */
  registerStatsSource(id: string, source: StatsSource): () => void {
    const { sources, retired } = this;
    sources.set(id, source);
    return () => {
      if (sources.get(id) !== source) return;
      const last = source();
      retired.received += last.received ?? 0;
      retired.parsed += last.parsed ?? 0;
      retired.readings += last.readings ?? 0;
      retired.committed += last.committed ?? 0;
      retired.duplicates += last.duplicates ?? 0;
      retired.deadLettered += last.deadLettered ?? 0;
      retired.poisonBatches += last.poisonBatches ?? 0;
      retired.poisonMessages += last.poisonMessages ?? 0;
      for (const [code, n] of Object.entries(last.rejected ?? {})) retired.rejected[code] = (retired.rejected[code] ?? 0) + n;
      sources.delete(id);
    };
  }
}
