import assert from 'node:assert/strict';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { waitFor } from './env';

/**
 * Publishes numbered readings at a steady rate with QoS 1 and remembers which ones the broker
 * acknowledged: those are the ones that must end up in the database, exactly once.
 * Reading n is `{value: n, ts: base + n}` on `<site>/r/dev<n % devices>/seq`.
 */
export class SequencePublisher {
  readonly acked = new Set<number>();
  sent = 0;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  // An hour before the run started: today's partition, on any day (a fixed date fell out of the retention one day).
  private readonly base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

  constructor(
    private readonly url: string,
    readonly site: string,
    private readonly devices = 10,
    private readonly options: IClientOptions = {},
  ) {}

  async start(ratePerSecond: number): Promise<void> {
    this.client = await connectAsync(this.url, { reconnectPeriod: 200, clean: true, ...this.options });
    const perTick = Math.max(1, Math.round(ratePerSecond / 50));
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) this.publishNext();
    }, 20);
  }

  /** Stops publishing and waits (bounded) for outstanding acknowledgements. */
  async stop(graceMs = 10000): Promise<void> {
    clearInterval(this.timer);
    const until = Date.now() + graceMs;
    while (this.acked.size < this.sent && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await this.client?.endAsync(true);
  }

  private publishNext(): void {
    const n = ++this.sent;
    const payload = JSON.stringify({ value: n, ts: this.base + n });
    this.client?.publish(`${this.site}/r/dev${n % this.devices}/seq`, payload, { qos: 1 }, (err) => {
      if (!err) this.acked.add(n);
    });
  }
}

/** Which acknowledged sequence numbers are missing from, or doubled in, the stored values. */
export function compareSequences(acked: Set<number>, stored: number[]): { lost: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const v of stored) seen.set(v, (seen.get(v) ?? 0) + 1);
  const lost = [...acked].filter((n) => !seen.has(n)).sort((a, b) => a - b);
  const duplicated = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  return { lost, duplicated };
}

/** The values of a site's `seq` readings in Postgres (on a connection of its own). */
export async function storedSequence(dbUrl: string, site: string): Promise<number[]> {
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const res = await c.query("select num from readings where attribute = 'seq' and device_id like $1", [`${site}/%`]);
    return res.rows.map((r: { num: number }) => r.num);
  } finally {
    await c.end();
  }
}

/** Waits (bounded) until every reading the broker acknowledged is stored, then asserts none lost and none twice; returns the stored values. */
export async function expectEveryAckedReadingOnce(dbUrl: string, pub: SequencePublisher, timeoutMs = 30000): Promise<number[]> {
  let stored: number[] = [];
  let last = { lost: [] as number[], duplicated: [] as number[] };
  await waitFor(
    async () => {
      stored = await storedSequence(dbUrl, pub.site);
      last = compareSequences(pub.acked, stored);
      return last.lost.length === 0;
    },
    timeoutMs,
    'every acknowledged reading to be stored',
  ).catch(() => undefined);
  assert.ok(pub.acked.size > 0, 'the broker acknowledged nothing');
  assert.deepEqual(last.lost.slice(0, 20), [], `${last.lost.length} of ${pub.acked.size} acknowledged readings lost`);
  assert.deepEqual(last.duplicated.slice(0, 20), [], `${last.duplicated.length} readings stored twice`);
  return stored;
}
