import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** A subscriber that records every topic and payload it receives, in order. */
export interface Recorder {
  client: MqttClient;
  seen: { topic: string; payload: string }[];
  topics(): string[];
  /** Filters the broker refused (SUBACK failure); the others are active. */
  refused: string[];
}

export async function recorder(url: string, options: IClientOptions, filters: string[]): Promise<Recorder> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const seen: Recorder['seen'] = [];
  client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  const refused: string[] = [];
  for (const f of filters) {
    try {
      await client.subscribeAsync(f, { qos: 1 });
    } catch {
      refused.push(f);
    }
  }
  return { client, seen, refused, topics: () => seen.map((m) => m.topic) };
}

/**
 * Publishes one QoS 1 message on a connection of its own and settles once the broker has dealt
 * with it: acknowledged (Mosquitto acknowledges a refused publish and drops it), or the
 * connection closed (aedes closes a client whose publish it refuses). Either way, anything the
 * broker would deliver of it is on its way to subscribers before whatever is published next.
 */
export async function attemptPublish(url: string, options: IClientOptions, topic: string, payload: string): Promise<'acked' | 'closed'> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  try {
    return await new Promise<'acked' | 'closed'>((resolve) => {
      client.once('close', () => resolve('closed'));
      client.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? 'closed' : 'acked'));
    });
  } finally {
    client.end(true);
  }
}

/** Whether a connection is accepted. */
export async function connects(url: string, options: IClientOptions = {}): Promise<{ ok: boolean; error?: string }> {
  try {
    const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
    await c.endAsync();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** The node ids of the shipped flow (flows/octopus.json) that Node-RED's client ids are made of: `<OCTOPUS_CLIENT_ID>-<suffix>`. */
export const PREDICTABLE_CLIENT_ID_SUFFIXES = ['octopus-source', 'commands', 'alerts'];

/** Connects, reads CONNACK's session-present flag, and leaves at once. */
export function sessionPresent(url: string, options: IClientOptions): Promise<boolean> {
  return new Promise((resolveConnack, reject) => {
    const c = connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    c.once('connect', (connack) => {
      c.end(true);
      resolveConnack(connack.sessionPresent);
    });
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}
