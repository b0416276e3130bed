import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  CONTROL_TOPIC,
  RESPONSE_TOPIC,
  createDeviceClient,
  createHouseRole,
  deleteClient,
  houseRole,
  setClientPassword,
  type DeviceClient,
  type DynsecCommand,
} from './dynsec-commands';
import type { BrokerEvent, LiveBrokerUsers } from './live-users';

/** The broker log lines (`log_dest topic`) that tell of a refused login. */
const LOG_TOPIC = '$SYS/broker/log/#';
const REFUSED = /Client (\S+) disconnected, not authori[sz]ed|Sending CONNACK to (\S+) \(\d+, (?:4|5|134|135)\)/;

/**
 * Node-RED's admin client of Mosquitto's dynamic security plugin: sends the plugin's commands
 * (dynsec-commands.ts) and waits for each answer. Refused logins are read from the broker's own
 * log when the config sends it to `$SYS/broker/log/…` (`log_dest topic`, as mosquitto/mosquitto.conf
 * does) — but Mosquitto 2.0 logs them as "Client <unknown> disconnected, not authorised", naming
 * nobody, so only a broker that names the client id lets a device's page show it. Mosquitto drops
 * a publish its ACL forbids silently and says nothing of it, so that is never reported.
 */
export class DynsecAdmin implements LiveBrokerUsers {
  readonly kind = 'mosquitto-dynsec' as const;
  private readonly pending = new Map<string, { resolve: (r: { error?: string; data?: unknown }) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Set<(e: BrokerEvent) => void>();
  private readonly houses = new Set<string>();

  private constructor(private readonly client: MqttClient, private readonly timeoutMs: number) {
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE_TOPIC) return this.answer(payload);
      const line = payload.toString('utf8').slice(0, 2000);
      const m = REFUSED.exec(line);
      const clientId = m?.[1] ?? m?.[2];
      // Mosquitto 2.0 names the client of a refused login `<unknown>` (it is refused before its id is
      // taken), so such a line cannot be tied to a device; later versions that name it are used.
      if (clientId && clientId !== '<unknown>') this.emit({ kind: 'auth-refused', clientId, at: Date.now(), detail: line });
    });
  }

  static async connect(url: string, options: IClientOptions & { timeoutMs?: number } = {}): Promise<DynsecAdmin> {
    const client = await connectAsync(url, { reconnectPeriod: 1000, connectTimeout: 5000, clean: true, ...options });
    const admin = new DynsecAdmin(client, options.timeoutMs ?? 5000);
    await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
    await client.subscribeAsync(LOG_TOPIC, { qos: 0 }).catch(() => undefined);
    return admin;
  }

  private answer(payload: Buffer): void {
    let parsed: { responses?: Array<{ correlationData?: string; error?: string; data?: unknown }> };
    try {
      parsed = JSON.parse(payload.toString('utf8')) as typeof parsed;
    } catch {
      return;
    }
    for (const r of parsed.responses ?? []) {
      const p = r.correlationData ? this.pending.get(r.correlationData) : undefined;
      if (!p || !r.correlationData) continue;
      clearTimeout(p.timer);
      this.pending.delete(r.correlationData);
      p.resolve({ error: r.error, data: r.data });
    }
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }

  onEvent(listener: (e: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends one command; resolves with the plugin's error text (undefined when it succeeded). */
  async send(command: DynsecCommand): Promise<{ error?: string; data?: unknown }> {
    const correlationData = randomUUID();
    const answer = new Promise<{ error?: string; data?: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationData);
        reject(new Error(`the broker did not answer "${command.command}" within ${this.timeoutMs} ms: is the dynamic security plugin loaded, and is this its admin client?`));
      }, this.timeoutMs);
      this.pending.set(correlationData, { resolve, timer });
    });
    await this.client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: [{ ...command, correlationData }] }), { qos: 1 });
    return answer;
  }

  /** Sends a command that must succeed (`tolerate`: errors that mean it is already done). */
  private async must(command: DynsecCommand, tolerate: RegExp = /^$/): Promise<void> {
    const r = await this.send(command);
    if (r.error && !tolerate.test(r.error)) throw new Error(`the broker refused ${command.command}: ${r.error}`);
  }

  async ensureHouse(site: string): Promise<void> {
    if (this.houses.has(site)) return;
    await this.must(createHouseRole(site), /already exists/i);
    this.houses.add(site);
  }

  async addClient(c: DeviceClient): Promise<void> {
    await this.ensureHouse(c.site);
    await this.must(createDeviceClient(c));
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.must(setClientPassword(username, password));
  }

  /** Deleting the client makes the broker close its connections at once; an unknown one is already gone. */
  async revoke(username: string): Promise<void> {
    await this.must(deleteClient(username), /not found/i);
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.client.endAsync();
  }
}

export { houseRole };
