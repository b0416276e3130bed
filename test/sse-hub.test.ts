import assert from 'node:assert/strict';
import type { LiveReading } from '../lib/live/live-model';
import { SseHub, type SseClient } from '../lib/live/sse-hub';
import { MAX_SUBSCRIBED_DEVICES, parseSubscription, type Subscription } from '../lib/live/subscription';
import type { Viewer } from '../lib/live/viewer';

function change(deviceId: string, attribute: string, value: LiveReading['value'], ts: number): LiveReading {
  const [site, room, device] = deviceId.split('/');
  return { deviceId, site, room, device, attribute, value, ts };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** An HTTP response as far as the hub uses it, recording what it was told. */
class FakeClient implements SseClient {
  status = 0;
  headers: Record<string, string> = {};
  flushed = false;
  chunks: string[] = [];
  ended = false;
  destroyed = false;
  writableLength = 0;
  private onClose: Array<() => void> = [];

  writeHead(status: number, headers: Record<string, string>): void {
    this.status = status;
    this.headers = headers;
  }
  flushHeaders(): void {
    this.flushed = true;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  on(_event: 'close', listener: () => void): void {
    this.onClose.push(listener);
  }
  hangUp(): void {
    for (const l of this.onClose) l();
  }
  /** The named events received, their data parsed. */
  events(): Array<{ event: string; data: unknown; id?: number }> {
    const out: Array<{ event: string; data: unknown; id?: number }> = [];
    for (const frame of this.chunks.join('').split('\n\n')) {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      if (event && data !== undefined) out.push({ event, data: JSON.parse(data), id: id === undefined ? undefined : Number(id) });
    }
    return out;
  }
}

describe('SseHub (coalescing event fan-out)', () => {
  const hubs: SseHub[] = [];
  const hub = (flushMs: number, heartbeatMs = 60000, maxBufferedBytes?: number) => {
    const h = new SseHub(flushMs, heartbeatMs, { maxBufferedBytes });
    hubs.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of hubs.splice(0)) h.close();
  });

  it('opens an unbuffered event stream and sends the snapshot first', () => {
    const h = hub(50);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: { devices: 0, sites: [] } });
    assert.equal(c.status, 200);
    assert.match(c.headers['Content-Type'], /^text\/event-stream/);
    assert.match(c.headers['Cache-Control'], /no-cache/);
    assert.equal(c.headers['X-Accel-Buffering'], 'no');
    assert.equal(c.flushed, true);
    assert.deepEqual(c.events(), [{ event: 'snapshot', data: { devices: 0, sites: [] }, id: 1 }]);
    assert.equal(h.clientCount, 1);
  });

  it('coalesces a burst into one batch where the latest value per device attribute wins', async () => {
    const h = hub(40);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    for (let i = 0; i < 5000; i++) {
      h.queueReading(change('s/r/a', 'temperature', i, i));
      h.queueReading(change('s/r/b', 'humidity', -i, i));
    }
    await sleep(100);
    const batches = c.events().filter((e) => e.event === 'readings');
    assert.equal(batches.length, 1);
    const batch = batches[0].data as { deviceId: string; value: number }[];
    assert.deepEqual(batch.map((x) => [x.deviceId, x.value]), [
      ['s/r/a', 4999],
      ['s/r/b', -4999],
    ]);
  });

  it('sends at most one batch per flush interval however fast readings come', async () => {
    const h = hub(100);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    const start = Date.now();
    let n = 0;
    while (Date.now() < start + 600) {
      for (let i = 0; i < 200; i++) h.queueReading(change(`s/r/d${i % 50}`, 'a', n++, n));
      await new Promise((res) => setImmediate(res));
    }
    await sleep(150);
    const elapsed = Date.now() - start;
    const batches = c.events().filter((e) => e.event === 'readings');
    assert.ok(n > 10000, `sent ${n} readings`);
    // A loaded machine may fire timers late (fewer batches), never early (more).
    assert.ok(batches.length >= 2 && batches.length <= Math.ceil(elapsed / 100) + 1, `${batches.length} batches in ${elapsed} ms`);
    for (const b of batches) assert.ok((b.data as unknown[]).length <= 50);
  });

  it('sends heartbeat comments to idle streams', async () => {
    const h = hub(50, 30);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    await sleep(100);
    assert.ok(c.chunks.some((x) => x.startsWith(': ')), c.chunks.join(''));
  });

  it('forgets a client that hung up, and queues nothing without clients', async () => {
    const h = hub(20);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    c.hangUp();
    assert.equal(h.clientCount, 0);
    h.queueReading(change('s/r/d', 'a', 1, 1));
    await sleep(60);
    assert.equal(c.events().filter((e) => e.event === 'readings').length, 0);
  });

  it('cuts off a client that stopped reading instead of buffering for it', async () => {
    const h = hub(10, 60000, 1000);
    const slow = new FakeClient();
    const fast = new FakeClient();
    h.attach(slow, { event: 'snapshot', data: {} });
    h.attach(fast, { event: 'snapshot', data: {} });
    slow.writableLength = 5000;
    h.queueReading(change('s/r/d', 'a', 1, 1));
    await sleep(50);
    assert.equal(slow.destroyed, true);
    assert.equal(h.clientCount, 1);
    assert.equal(fast.events().filter((e) => e.event === 'readings').length, 1);
  });

  it('close() ends every stream at once', () => {
    const h = hub(20);
    const clients = [new FakeClient(), new FakeClient(), new FakeClient()];
    for (const c of clients) h.attach(c, { event: 'snapshot', data: {} });
    h.queueReading(change('s/r/d', 'a', 1, 1));
    h.close();
    assert.deepEqual(clients.map((c) => c.ended), [true, true, true]);
    assert.equal(h.clientCount, 0);
  });

  const onlySites = (...sites: string[]): Viewer => ({ canSee: (s) => sites.includes(s), canControl: () => false });
  const devicesOf = (c: FakeClient) =>
    c
      .events()
      .filter((e) => e.event === 'readings')
      .flatMap((e) => (e.data as LiveReading[]).map((r) => r.deviceId));
  const subscribe = (query: string): Subscription => {
    const parsed = parseSubscription(new URLSearchParams(query));
    assert.ok(parsed.ok);
    return parsed.subscription;
  };

  it('sends each client only the devices its page shows', async () => {
    const h = hub(10);
    const overview = new FakeClient();
    const page = new FakeClient();
    const alertsOnly = new FakeClient();
    h.attach(overview, { event: 'snapshot', data: {} }, { subscription: subscribe('scope=overview') });
    h.attach(page, { event: 'snapshot', data: {} }, { subscription: subscribe('device=s%2Fr%2Fa&device=s%2Fr%2Cc') });
    h.attach(alertsOnly, { event: 'snapshot', data: {} }, { subscription: subscribe('scope=alerts') });
    for (const id of ['s/r/a', 's/r/b', 's/r,c']) h.queueReading(change(id, 't', 1, 1));
    h.send('device', { deviceId: 's/r/b' }, { site: 's', deviceId: 's/r/b' });
    await sleep(40);
    assert.deepEqual(devicesOf(overview).sort(), ['s/r,c', 's/r/a', 's/r/b']);
    assert.deepEqual(devicesOf(page).sort(), ['s/r,c', 's/r/a']);
    assert.deepEqual(devicesOf(alertsOnly), []);
    assert.equal(overview.events().filter((e) => e.event === 'device').length, 1);
    assert.equal(page.events().filter((e) => e.event === 'device').length, 0);
  });

  it("filters every message by the client's viewer: readings, events and per-client snapshots", async () => {
    const h = hub(10);
    const north = new FakeClient();
    const all = new FakeClient();
    h.attach(north, { event: 'snapshot', data: {} }, { viewer: onlySites('north') });
    h.attach(all, { event: 'snapshot', data: {} });
    h.queueReading(change('north/r/a', 't', 1, 1));
    h.queueReading(change('south/r/b', 't', 1, 1));
    h.send('alert', { id: 'x' }, { site: 'south' });
    h.send('alert', { id: 'y' }, { site: 'north' });
    h.sendEach('alerts', (c) => ['north', 'south'].filter((s) => c.viewer.canSee(s)));
    await sleep(40);
    assert.deepEqual(devicesOf(north), ['north/r/a']);
    assert.deepEqual(devicesOf(all).sort(), ['north/r/a', 'south/r/b']);
    assert.deepEqual(north.events().filter((e) => e.event === 'alert').map((e) => e.data), [{ id: 'y' }]);
    assert.deepEqual(north.events().find((e) => e.event === 'alerts')?.data, ['north']);
    assert.deepEqual(all.events().find((e) => e.event === 'alerts')?.data, ['north', 'south']);
  });

  it('numbers every frame of a connection consecutively, so the page can see a gap', async () => {
    const h = hub(5);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    h.queueReading(change('s/r/a', 't', 1, 1));
    await sleep(20);
    h.send('device', {});
    h.queueReading(change('s/r/a', 't', 2, 2));
    await sleep(20);
    assert.deepEqual(c.events().map((e) => e.id), [1, 2, 3, 4]);
    assert.equal(c.events()[0].event, 'snapshot');
  });

  it('sends the first change after a quiet spell at once, and later ones at most every flushMs', async () => {
    const h = hub(10000);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    h.queueReading(change('s/r/a', 't', 1, 1));
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    assert.equal(devicesOf(c).length, 1, 'the first batch went out without waiting for the interval');
    h.queueReading(change('s/r/a', 't', 2, 2));
    await sleep(30);
    assert.equal(devicesOf(c).length, 1, 'the second waits for the interval');
  });

  it('caps a batch at maxBatch readings and sends the rest in the next turns, oldest first', async () => {
    const h = new SseHub(5, 60000, { maxBatch: 100 });
    hubs.push(h);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    for (let i = 0; i < 250; i++) h.queueReading(change(`s/r/d${i}`, 't', i, i));
    await sleep(80);
    const batches = c.events().filter((e) => e.event === 'readings').map((e) => (e.data as LiveReading[]).map((r) => r.value));
    assert.deepEqual(batches.map((b) => b.length), [100, 100, 50]);
    assert.deepEqual(batches.flat(), Array.from({ length: 250 }, (_x, i) => i));
  });

  it('parses what a page subscribes to, and refuses what it cannot be', () => {
    assert.equal(subscribe('').all, true);
    assert.equal(subscribe('scope=overview').all, true);
    assert.deepEqual([...subscribe('devices=a,b&device=c').devices], ['c', 'a', 'b']);
    assert.equal(subscribe('scope=alerts').devices.size, 0);
    assert.equal(subscribe('scope=alerts').all, false);
    const bad = parseSubscription(new URLSearchParams('scope=everything'));
    assert.equal(bad.ok, false);
    const many = new URLSearchParams();
    for (let i = 0; i <= MAX_SUBSCRIBED_DEVICES; i++) many.append('device', `d${i}`);
    assert.equal(parseSubscription(many).ok, false);
  });
});
