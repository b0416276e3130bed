import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { DeferredAckSubscriber, type IncomingMessage } from '../lib/ingest/2-deferred-ack-subscriber';
import { MQTT_TEST_URL, waitFor } from './support/env';

/** Against the real broker: what is not released is redelivered after a reconnect, what is released is not. */
describe('DeferredAckSubscriber (real broker)', () => {
  let publisher: MqttClient;
  const subs: DeferredAckSubscriber[] = [];

  before(async () => {
    publisher = await connectAsync(MQTT_TEST_URL, { clientId: `pub-${randomUUID()}` });
  });
  after(async () => {
    await publisher.endAsync();
  });
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.close()));
  });

  function subscriber(clientId: string, topic: string, maxInFlight: number, onMessage: (m: IncomingMessage) => void) {
    const s = new DeferredAckSubscriber(
      {
        url: MQTT_TEST_URL,
        topics: [topic],
        qos: 1,
        maxInFlight,
        ackAfterRelease: true,
        clientOptions: { clientId, clean: false, reconnectPeriod: 200 },
      },
      onMessage,
    );
    subs.push(s);
    s.start();
    return s;
  }

  it('redelivers unreleased messages to the same session after a reconnect, and only those', async () => {
    const topic = `test/${randomUUID()}/dev/attr`;
    const clientId = `octopus-test-${randomUUID()}`;
    const first: IncomingMessage[] = [];
    const s1 = subscriber(clientId, topic, 100, (m) => first.push(m));
    await waitFor(() => s1.client.connected);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 10; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
    await waitFor(() => first.length === 10);
    for (const m of first.slice(0, 6)) m.ack?.release();
    await waitFor(() => s1.stats().acknowledged === 6);
    assert.equal(s1.stats().inFlight, 4);
    await s1.close();
    subs.length = 0;

    const second: string[] = [];
    const s2 = subscriber(clientId, topic, 100, (m) => {
      second.push(m.payload.toString());
      m.ack?.release();
    });
    await waitFor(() => second.length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(second.sort(), ['6', '7', '8', '9']);
    await waitFor(() => s2.stats().inFlight === 0);
  });

  it('stops reading when the window is full and resumes when acks are released', async () => {
    const topic = `test/${randomUUID()}/dev/attr`;
    const got: IncomingMessage[] = [];
    const s = subscriber(`octopus-test-${randomUUID()}`, topic, 5, (m) => got.push(m));
    await waitFor(() => s.client.connected);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20; i++) publisher.publish(topic, String(i), { qos: 1 });
    await waitFor(() => got.length >= 5);
    await new Promise((r) => setTimeout(r, 200));
    // The window is 5; one more message can be parsed while the read is held.
    assert.ok(got.length <= 6, `read ${got.length} messages with a window of 5`);
    assert.equal(s.stats().paused, true);
    let released = 0;
    while (got.length < 20 || released < 20) {
      if (released < got.length) got[released++].ack?.release();
      else await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor(() => s.stats().acknowledged === 20);
    assert.deepEqual(got.map((m) => m.payload.toString()), Array.from({ length: 20 }, (_, i) => String(i)));
  });
});
