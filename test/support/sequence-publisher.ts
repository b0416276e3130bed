import { connectAsync, type MqttClient } from 'mqtt';

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
  ) {}

  async start(ratePerSecond: number): Promise<void> {
    this.client = await connectAsync(this.url, { reconnectPeriod: 200, clean: true });
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
