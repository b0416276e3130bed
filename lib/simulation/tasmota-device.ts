import { connectAsync, type MqttClient } from 'mqtt';
import { tasmotaTopic } from './dialects';

/**
 * One simulated Tasmota device set up the way a person sets up a real one: by pasting console
 * commands (`Backlog MqttHost …; MqttPort …; MqttUser …; MqttPassword …; MqttClient …; Topic …;
 * FullTopic …`). It then connects as Tasmota does (its last will `Offline` on tele/LWT, `Online`
 * retained once connected) and reports like a smart plug (tele/STATE, tele/SENSOR with ENERGY).
 */
export interface TasmotaSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  client: string;
  topic: string;
  fullTopic: string;
}

/** The MQTT settings from Tasmota console commands, one per line or joined by Backlog's `;`. */
export function parseTasmotaConsole(text: string): TasmotaSettings {
  const values = new Map<string, string>();
  for (const raw of text.split(/[;\n]/)) {
    const cmd = raw.trim().replace(/^Backlog\s+/i, '');
    const m = /^(\w+)\s+(.*)$/.exec(cmd);
    if (m) values.set(m[1].toLowerCase(), m[2].trim());
  }
  const need = (k: string) => {
    const v = values.get(k.toLowerCase());
    if (v === undefined) throw new Error(`the console commands set no ${k}`);
    return v;
  };
  return {
    host: need('MqttHost'),
    port: Number(values.get('mqttport') ?? 1883),
    user: need('MqttUser'),
    password: need('MqttPassword'),
    client: need('MqttClient'),
    topic: need('Topic'),
    fullTopic: values.get('fulltopic') ?? '%prefix%/%topic%/',
  };
}

export class SimulatedTasmota {
  private constructor(readonly settings: TasmotaSettings, readonly client: MqttClient) {}

  static async connect(settings: TasmotaSettings): Promise<SimulatedTasmota> {
    const o = { tasmotaFullTopic: settings.fullTopic };
    const lwt = tasmotaTopic('tele', settings.topic, 'LWT', o);
    const client = await connectAsync(`mqtt://${settings.host}:${settings.port}`, {
      username: settings.user,
      password: settings.password,
      clientId: settings.client,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      will: { topic: lwt, payload: Buffer.from('Offline'), retain: true, qos: 1 },
    });
    await client.publishAsync(lwt, 'Online', { retain: true, qos: 1 });
    return new SimulatedTasmota(settings, client);
  }

  topic(prefix: 'tele' | 'stat', suffix: string): string {
    return tasmotaTopic(prefix, this.settings.topic, suffix, { tasmotaFullTopic: this.settings.fullTopic });
  }

  /** One telemetry period: the relay's state and the energy meter. */
  async report(power: number, on = true, now = Date.now()): Promise<void> {
    const time = new Date(now).toISOString().slice(0, 19);
    await this.client.publishAsync(this.topic('tele', 'STATE'), JSON.stringify({ Time: time, POWER: on ? 'ON' : 'OFF' }), { qos: 0 });
    await this.client.publishAsync(this.topic('tele', 'SENSOR'), JSON.stringify({ Time: time, ENERGY: { Power: power, Voltage: 230, Current: Math.round((power / 230) * 1000) / 1000, Total: 1.25 } }), { qos: 0 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
