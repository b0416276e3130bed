import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { announce, commandTopic, commandValue, farewell, report, type Dialect, type DialectOptions } from './dialects';
import { applyCommand, createFleet, prng, step, type FleetOptions, type SimAttribute, type SimDevice } from './fleet';

export interface SimulatorOptions extends FleetOptions, DialectOptions {
  url: string;
  /** Messages per second, all devices together. */
  rate: number;
  qos: 0 | 1;
  /** Plain numeric/boolean payloads instead of JSON with unit, ts and seq. */
  plain: boolean;
  /** Leave out the device timestamp (readings are then timed on receipt). */
  timestamps: boolean;
  /** The firmware the devices run (default: the Octopus format). */
  dialect?: Dialect;
  /** Stop after this many messages (0: run until stopped). */
  count: number;
  /** Most QoS 1 publishes awaiting their PUBACK. */
  maxInFlight: number;
  clientOptions?: IClientOptions;
  log?: (line: string) => void;
}

export interface SimulatorStats {
  sent: number;
  acked: number;
  errors: number;
  commands: number;
}

/**
 * Publishes the fleet's readings at a steady total rate and plays the actuators: a light told
 * `on` on `<site>/<room>/<device>/<attribute>/set` takes it and reports its new state at once.
 * Payloads carry a per-run sequence number so that a consumer can count losses and duplicates.
 */
export class Simulator {
  readonly devices: SimDevice[];
  readonly stats: SimulatorStats = { sent: 0, acked: 0, errors: 0, commands: 0 };
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly rnd: () => number;
  private readonly byTopic = new Map<string, { device: SimDevice; attr: SimAttribute }>();
  private readonly series: Array<{ device: SimDevice; attr: SimAttribute; topic: string }> = [];
  private readonly dialect: Dialect;
  private cursor = 0;
  /** Devices that stopped reporting (silenced or dropped off): the registry should notice. */
  private readonly quiet = new Set<SimDevice>();
  private inFlight = 0;
  private finished: (() => void) | undefined;

  constructor(private readonly options: SimulatorOptions) {
    this.devices = createFleet(options);
    this.rnd = prng(options.seed + 1);
    this.dialect = options.dialect ?? 'octopus';
    for (const device of this.devices) {
      for (const attr of device.attributes) {
        const topic = `${device.site}/${device.room}/${device.device}/${attr.name}`;
        this.series.push({ device, attr, topic });
        // Firmware dialects: only switches obey (a light's power), as on the real devices.
        if (attr.controllable && (this.dialect === 'octopus' || attr.controllable === 'switch')) {
          this.byTopic.set(commandTopic(this.dialect, device, attr, this.options), { device, attr });
        }
      }
    }
  }

  async start(): Promise<void> {
    const client = await connectAsync(this.options.url, { reconnectPeriod: 1000, ...this.options.clientOptions });
    this.client = client;
    // mqtt.js reconnects by itself; an unheard 'error' would end the process instead.
    client.on('error', (err) => this.options.log?.(`broker: ${err.message}`));
    if (this.byTopic.size > 0) await client.subscribeAsync([...this.byTopic.keys()], { qos: 1 });
    client.on('message', (topic, payload) => this.onCommand(topic, payload.toString()));
    for (const d of this.devices) {
      for (const m of announce(this.dialect, d, this.options)) await client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
    }
    const tickMs = 10;
    const started = Date.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * this.options.rate);
      const limit = this.options.count > 0 ? Math.min(due, this.options.count) : due;
      while (this.stats.sent < limit && (this.options.qos === 0 || this.inFlight < this.options.maxInFlight)) this.publishNext();
      if (this.options.count > 0 && this.stats.sent >= this.options.count && this.inFlight === 0) this.finish();
    }, tickMs);
  }

  /** Resolves when `count` messages are sent and acknowledged. */
  done(): Promise<void> {
    return new Promise((resolve) => (this.finished = resolve));
  }

  /** Stops publishing; `forget` also clears the retained availability messages the devices left. */
  async stop(forget = false): Promise<void> {
    clearInterval(this.timer);
    if (forget && this.client?.connected) {
      for (const d of this.devices) {
        for (const m of announce(this.dialect, d, this.options)) if (m.retain) await this.client.publishAsync(m.topic, '', { qos: 1, retain: true });
      }
    }
    await this.client?.endAsync();
  }

  private finish(): void {
    clearInterval(this.timer);
    this.finished?.();
  }

  /** The device stops reporting, as a sensor with a flat battery would; the broker says nothing. */
  silence(device: SimDevice): void {
    this.quiet.add(device);
  }

  /** The device drops off the network: it stops reporting and its last will is published. */
  async dropOff(device: SimDevice): Promise<void> {
    this.quiet.add(device);
    for (const m of farewell(this.dialect, device, this.options)) await this.client?.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
  }

  /** A silenced or dropped device reports again (and announces itself). */
  async revive(device: SimDevice): Promise<void> {
    this.quiet.delete(device);
    for (const m of announce(this.dialect, device, this.options)) await this.client?.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
  }

  private publishNext(): void {
    let s = this.series[this.cursor++ % this.series.length];
    // Skip quiet devices, but never loop forever when all of them are.
    for (let i = 0; this.quiet.has(s.device) && i < this.series.length; i++) s = this.series[this.cursor++ % this.series.length];
    if (this.quiet.has(s.device)) {
      this.stats.sent++;
      this.stats.acked++;
      return;
    }
    const now = Date.now();
    step(s.attr, now, this.rnd);
    this.publish(s.device, s.topic, s.attr, now);
  }

  private publish(device: SimDevice, topic: string, attr: SimAttribute, now: number): void {
    const client = this.client;
    if (!client) return;
    const seq = ++this.stats.sent;
    let payload: string;
    if (this.dialect !== 'octopus') {
      const m = report(this.dialect, device, attr, now, this.options);
      topic = m.topic;
      payload = m.payload;
    } else if (this.options.plain) {
      payload = String(attr.value);
    } else {
      const body: Record<string, unknown> = { value: attr.value };
      if (attr.unit) body.unit = attr.unit;
      if (this.options.timestamps) body.ts = new Date(now).toISOString();
      body.seq = seq;
      payload = JSON.stringify(body);
    }
    if (this.options.qos === 0) {
      client.publish(topic, payload, { qos: 0 });
      this.stats.acked++;
      return;
    }
    this.inFlight++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      this.inFlight--;
      if (err) this.stats.errors++;
      else this.stats.acked++;
    });
  }

  /**
   * An alarm on demand (the default flow's "alarm" rule raises a critical alert): the device
   * reports `alarm` true, in Octopus's own topic layout whatever dialect the fleet speaks.
   */
  async alarm(device: SimDevice, on: boolean): Promise<string> {
    const topic = `${device.site}/${device.room}/${device.device}/alarm`;
    await this.client?.publishAsync(topic, on ? 'true' : 'false', { qos: 1 });
    return topic;
  }

  private onCommand(topic: string, payload: string): void {
    const target = this.byTopic.get(topic);
    if (!target) return;
    if (!applyCommand(target.attr, commandValue(this.dialect, payload))) {
      this.options.log?.(`ignored command ${JSON.stringify(payload.slice(0, 40))} on ${topic}`);
      return;
    }
    this.stats.commands++;
    const { device, attr } = target;
    this.publish(device, `${device.site}/${device.room}/${device.device}/${attr.name}`, attr, Date.now());
  }
}
