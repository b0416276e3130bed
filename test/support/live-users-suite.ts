import assert from 'node:assert/strict';
import { connectAsync, type MqttClient } from 'mqtt';
import type { LiveBrokerUsers, BrokerEvent } from '../../lib/mqtt-auth/live-users';

export interface LiveUsersTarget {
  /** Plain MQTT port of the broker. */
  port: () => number;
  users: () => LiveBrokerUsers;
  /** Node-RED's ingest user's URL (reads everything). */
  ingestUrl: () => string;
  /** Whether the broker names the client of a refused login (aedes does; Mosquitto 2.0's log says "<unknown>"). */
  reportsWrongPassword: boolean;
}

const connect = (port: number, username: string, password: string, clientId: string) =>
  connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, clientId, reconnectPeriod: 0, connectTimeout: 3000 });

async function refused(port: number, username: string, password: string, clientId: string): Promise<boolean> {
  try {
    const c = await connect(port, username, password, clientId);
    // Mosquitto's plugin may accept the CONNACK and close right after for a revoked user: connected only if it stays.
    await new Promise((r) => setTimeout(r, 200));
    const stayed = c.connected;
    await c.endAsync(true);
    return !stayed;
  } catch {
    return true;
  }
}

/**
 * Live broker users, the same behaviour on both brokers: a device added at run time connects with
 * its username and exact client id and publishes below its site only; another client id is
 * refused; a revoked one is disconnected within a second and refused on reconnect.
 */
export function liveUsersSuite(t: LiveUsersTarget): void {
  const run = Date.now().toString(36);
  const a = { site: `housea${run}`, username: `plug-1@housea${run}`, clientId: `housea${run}-plug-1`, password: `pw-a-${run}-0123456789` };
  const b = { site: `houseb${run}`, username: `plug-2@houseb${run}`, clientId: `houseb${run}-plug-2`, password: `pw-b-${run}-0123456789` };
  let ingest: MqttClient;
  const got: Array<{ topic: string; payload: string }> = [];
  const waitFor = async (what: string, ok: () => boolean, ms = 3000) => {
    const until = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('adds devices of two houses while the broker runs; one connects and publishes below its site', async () => {
    ingest = await connectAsync(t.ingestUrl(), { reconnectPeriod: 0 });
    ingest.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await ingest.subscribeAsync([`${a.site}/#`, `${b.site}/#`], { qos: 1 });
    await t.users().addClient(a);
    await t.users().addClient(b);
    const dev = await connect(t.port(), a.username, a.password, a.clientId);
    await dev.publishAsync(`${a.site}/salon/plug-1/temperature`, '21.5', { qos: 1 });
    await waitFor('the reading', () => got.some((m) => m.topic === `${a.site}/salon/plug-1/temperature`));
    // Another house's tree: not delivered (Mosquitto drops it, aedes closes the connection); what came before and after it on that house's tree proves the order.
    await dev.publishAsync(`${b.site}/salon/plug-2/temperature`, '99', { qos: 0 }).catch(() => undefined);
    const other = await connect(t.port(), b.username, b.password, b.clientId);
    await other.publishAsync(`${b.site}/salon/plug-2/marker`, '1', { qos: 1 });
    await waitFor('the other house\'s marker', () => got.some((m) => m.topic === `${b.site}/salon/plug-2/marker`));
    assert.equal(got.filter((m) => m.topic === `${b.site}/salon/plug-2/temperature`).length, 0, 'a house cannot publish into another');
    await other.endAsync();
    await dev.endAsync(true);
  });

  it('refuses another client id, and a wrong password', async () => {
    assert.ok(await refused(t.port(), a.username, a.password, `${a.clientId}-x`), 'another client id (even with its own as prefix) is refused');
    assert.ok(await refused(t.port(), a.username, a.password, b.clientId), "another house's client id is refused");
    const events: BrokerEvent[] = [];
    const off = t.users().onEvent((e) => events.push(e));
    assert.ok(await refused(t.port(), a.username, 'wrong-password', a.clientId));
    if (t.reportsWrongPassword) await waitFor('the broker\'s report of the refused login', () => events.some((e) => e.kind === 'auth-refused' && e.clientId === a.clientId));
    off();
  });

  it('revoked: disconnected within a second, refused on reconnect', async () => {
    const dev = await connect(t.port(), a.username, a.password, a.clientId);
    const closed = new Promise<number>((resolve) => dev.once('close', () => resolve(Date.now())));
    const start = Date.now();
    await t.users().revoke(a.username);
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 1000))]);
    assert.ok(at - start <= 1000, `disconnected within a second (took ${at - start} ms)`);
    await dev.endAsync(true);
    assert.ok(await refused(t.port(), a.username, a.password, a.clientId), 'refused on reconnect');
    await ingest.endAsync();
  });
}
