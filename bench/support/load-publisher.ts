import { connectAsync, type MqttClient } from 'mqtt';

/**
 * The benchmark's load: numbered QoS 1 readings `{value: n, ts: <publish time ms>}` on
 * `<prefix>/r/dev<n % 1000>/seq`, paced to a target rate with a bounded number of publishes
 * awaiting their PUBACK. Reading n's device repeats every 1000 messages, so (device, ts) stays
 * unique at any rate this machine can offer, and redeliveries are recognisable.
 */
export class LoadPublisher {
  readonly acked = new Set<number>();
  sent = 0;
  lastPublishMs = 0;
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly maxOutstanding = 2000,
  ) {}

  async connect(): Promise<void> {
    this.client = await connectAsync(this.url, { clean: true, reconnectPeriod: 500 });
  }

  /** Publishes `count` messages at up to `rate` per second; resolves when all are sent and acked (or 30 s passed). */
  async publish(count: number, rate: number): Promise<number> {
    const client = this.client;
    if (!client) throw new Error('not connected');
    const t0 = Date.now();
    let outstanding = 0;
    let published = 0;
    while (published < count) {
      const due = Math.min(count, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
      while (published < due && outstanding < this.maxOutstanding) {
        const n = ++this.sent;
        published++;
        outstanding++;
        client.publish(`${this.prefix}/r/dev${n % 1000}/seq`, `{"value":${n},"ts":${Date.now()}}`, { qos: 1 }, (err) => {
          outstanding--;
          if (!err) this.acked.add(n);
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    const until = Date.now() + 30000;
    while (outstanding > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    this.lastPublishMs = Date.now() - t0;
    return published;
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }
}
