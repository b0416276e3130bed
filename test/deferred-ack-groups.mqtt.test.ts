import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import type { MessageAck } from '../lib/ingest/3-message-ack';
import { DeferredAckSubscriber, type IncomingMessage } from '../lib/ingest/2-deferred-ack-subscriber';
import { MQTT_TEST_URL, waitFor } from './support/env';

/**
 * Against the real broker (issue #23): messages handed over in groups with one ack per group, and
 * the PUBACKs released together written in one go. What a group's ack releases is acknowledged
 * (never redelivered), what it does not is redelivered to the same session, nothing else.
 */
describe('DeferredAckSubscriber groups: one ack per group, PUBACKs in bulk (real broker)', () => {
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

  interface Group {
    messages: IncomingMessage[];
    ack: MessageAck | undefined;
  }

  function grouped(clientId: string, topic: string, onGroup: (g: Group) => void) {
    const s = new DeferredAckSubscriber(
      { url: MQTT_TEST_URL, topics: [topic], qos: 1, maxInFlight: 1000, ackAfterRelease: true, clientOptions: { clientId, clean: false, reconnectPeriod: 200 } },
      () => assert.fail('with a group handler, no message comes alone'),
      (messages, ack) => onGroup({ messages, ack }),
    );
    subs.push(s);
    s.start();
    return s;
  }

  it('releasing a group acknowledges all its members; an unreleased group comes back after a reconnect, alone', async () => {
    const topic = `test/${randomUUID()}/dev/attr`;
    const clientId = `octopus-test-${randomUUID()}`;
    const groups: Group[] = [];
    const s1 = grouped(clientId, topic, (g) => groups.push(g));
    await waitFor(() => s1.client.connected);
    await new Promise((r) => setTimeout(r, 100));
    // A first burst, then (once it is in) a second: at least two groups. Fewer than 20 in all: a
    // broker on its defaults (max_inflight_messages 20) sends no more while none is acknowledged.
    await Promise.all(Array.from({ length: 12 }, (_, i) => publisher.publishAsync(topic, `a${i}`, { qos: 1 })));
    const total = () => groups.reduce((n, g) => n + g.messages.length, 0);
    await waitFor(() => total() === 12);
    const firstGroups = groups.length;
    await Promise.all(Array.from({ length: 6 }, (_, i) => publisher.publishAsync(topic, `b${i}`, { qos: 1 })));
    await waitFor(() => total() === 18);
    assert.ok(groups.every((g) => g.ack !== undefined), 'every QoS 1 group carries an ack');
    assert.equal(s1.stats().inFlight, 18);
    assert.ok(s1.stats().oldestUnackedMs >= 0);

    for (const g of groups.slice(0, firstGroups)) {
      g.ack?.release();
      g.ack?.release(); // a second release of the same ack changes nothing
    }
    await waitFor(() => s1.stats().acknowledged === 12);
    assert.equal(s1.stats().inFlight, 6);
    await s1.close();
    subs.length = 0;

    const again: string[] = [];
    const s2 = grouped(clientId, topic, (g) => {
      for (const m of g.messages) again.push(m.payload.toString());
      g.ack?.release();
    });
    await waitFor(() => again.length >= 6);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(again.sort(), Array.from({ length: 6 }, (_, i) => `b${i}`).sort());
    await waitFor(() => s2.stats().inFlight === 0);
    assert.equal(s2.stats().oldestUnackedMs, 0);
  });
});
