import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { createProfileContext, parseMessage } from '../lib/parser';
import { announce, DIALECTS, nativeId, report } from '../lib/simulation/dialects';
import { applyCommand, createFleet, prng, step } from '../lib/simulation/fleet';
import { Simulator } from '../lib/simulation/simulator';
import { MQTT_TEST_URL, waitFor } from './support/env';

describe('simulator', () => {
  it('builds the same fleet from the same seed, with Octopus-format topics', () => {
    const a = createFleet({ sites: 2, roomsPerSite: 3, devicesPerRoom: 4, seed: 7 });
    const b = createFleet({ sites: 2, roomsPerSite: 3, devicesPerRoom: 4, seed: 7 });
    assert.deepEqual(a, b);
    assert.equal(a.length, 24);
    assert.equal(new Set(a.map((d) => `${d.site}/${d.room}/${d.device}`)).size, 24);
    for (const d of a) {
      for (const attr of d.attributes) {
        const r = parseMessage(`${d.site}/${d.room}/${d.device}/${attr.name}`, Buffer.from(JSON.stringify({ value: attr.value, unit: attr.unit })));
        assert.equal(r.rejects.length, 0, JSON.stringify(r.rejects));
      }
    }
  });

  it('keeps values in realistic ranges over a simulated day', () => {
    const fleet = createFleet({ sites: 1, roomsPerSite: 8, devicesPerRoom: 8, seed: 3 });
    const rnd = prng(9);
    const t0 = Date.parse('2026-11-23T00:00:00Z');
    for (let i = 0; i < 24 * 60; i++) {
      for (const d of fleet) for (const a of d.attributes) step(a, t0 + i * 60_000, rnd);
    }
    const values = (name: string) => fleet.flatMap((d) => d.attributes.filter((a) => a.name === name).map((a) => a.value as number));
    for (const t of values('temperature')) assert.ok(t > 15 && t < 28, `temperature ${t}`);
    for (const h of values('humidity')) assert.ok(h >= 30 && h <= 70, `humidity ${h}`);
    for (const c of values('co2')) assert.ok(c >= 400 && c <= 1500, `co2 ${c}`);
    assert.ok(values('energy').length > 0);
  });

  it('actuators take valid commands and ignore the rest', () => {
    const sw = { name: 'on', value: false, controllable: 'switch' as const };
    assert.equal(applyCommand(sw, 'ON'), true);
    assert.equal(sw.value, true);
    assert.equal(applyCommand(sw, 'maybe'), false);
    assert.equal(sw.value, true);
    const lvl = { name: 'level', value: 0, controllable: 'level' as const };
    assert.equal(applyCommand(lvl, '40'), true);
    assert.equal(lvl.value, 40);
    assert.equal(applyCommand(lvl, 'x'), false);
  });

  it('publishes numbered QoS 1 readings at the asked rate, each exactly once (real broker)', async () => {
    const prefix = `sim-${randomUUID().slice(0, 6)}`;
    const sub = await connectAsync(MQTT_TEST_URL);
    const seqs: number[] = [];
    await sub.subscribeAsync(`${prefix}-1/#`, { qos: 1 });
    sub.on('message', (_t, p) => {
      const body = JSON.parse(p.toString()) as { seq: number; ts: string };
      assert.ok(!Number.isNaN(Date.parse(body.ts)));
      seqs.push(body.seq);
    });
    const sim = new Simulator({ url: MQTT_TEST_URL, sites: 1, roomsPerSite: 2, devicesPerRoom: 3, seed: 1, sitePrefix: prefix, rate: 1000, qos: 1, plain: false, timestamps: true, count: 200, maxInFlight: 100 });
    const t0 = Date.now();
    await sim.start();
    await sim.done();
    const seconds = (Date.now() - t0) / 1000;
    await waitFor(() => seqs.length >= 200, 5000, '200 messages');
    await sim.stop();
    await sub.endAsync();
    assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.ok(seconds > 0.1 && seconds < 2, `200 messages at 1000/s took ${seconds} s`);
  });

  it('a simulated light obeys a command and reports its new state', async () => {
    const prefix = `simcmd-${randomUUID().slice(0, 6)}`;
    const sim = new Simulator({ url: MQTT_TEST_URL, sites: 1, roomsPerSite: 1, devicesPerRoom: 2, seed: 1, sitePrefix: prefix, rate: 1, qos: 1, plain: false, timestamps: true, count: 1, maxInFlight: 10 });
    await sim.start();
    const light = sim.devices.find((d) => d.kind === 'light');
    assert.ok(light);
    const topic = `${light.site}/${light.room}/${light.device}/on`;
    const client = await connectAsync(MQTT_TEST_URL);
    const states: unknown[] = [];
    await client.subscribeAsync(topic, { qos: 1 });
    client.on('message', (_t, p) => states.push((JSON.parse(p.toString()) as { value: unknown }).value));
    await client.publishAsync(`${topic}/set`, 'on', { qos: 1 });
    await waitFor(() => states.includes(true), 5000, 'the light to report on');
    await client.publishAsync(`${topic}/set`, 'off', { qos: 1 });
    await waitFor(() => states[states.length - 1] === false, 5000, 'the light to report off');
    assert.equal(sim.stats.commands, 2);
    await client.endAsync();
    await sim.stop();
  });
});

describe('simulator availability', () => {
  it('a dropped device publishes its last will and stops reporting; revived, it announces itself again (real broker)', async () => {
    const prefix = `simdrop-${randomUUID().slice(0, 6)}`;
    const sim = new Simulator({ url: MQTT_TEST_URL, sites: 1, roomsPerSite: 1, devicesPerRoom: 2, seed: 1, sitePrefix: prefix, rate: 200, qos: 1, plain: false, timestamps: true, count: 0, maxInFlight: 50, dialect: 'tasmota' });
    const watcher = await connectAsync(MQTT_TEST_URL);
    const seen: Array<[string, string]> = [];
    await watcher.subscribeAsync(['tele/#', 'stat/#'], { qos: 1 });
    watcher.on('message', (t, p) => {
      if (t.includes(prefix)) seen.push([t, p.toString()]);
    });
    try {
      await sim.start();
      const [gone, stays] = sim.devices;
      await sim.dropOff(gone);
      const mark = seen.length;
      await waitFor(() => seen.some(([t, p]) => t === `tele/${nativeId(gone)}/LWT` && p === 'Offline'), 5000, 'the last will');
      await new Promise((r) => setTimeout(r, 300));
      const after = seen.slice(mark).filter(([t]) => !t.endsWith('/LWT'));
      assert.ok(after.length > 10, 'the other device keeps reporting');
      assert.ok(after.every(([t]) => !t.includes(nativeId(gone))), 'the dropped device is quiet');
      assert.ok(after.some(([t]) => t.includes(nativeId(stays))));
      await sim.revive(gone);
      await waitFor(() => seen.slice(-50).some(([t, p]) => t === `tele/${nativeId(gone)}/LWT` && p === 'Online'), 5000, 'online again');
    } finally {
      await sim.stop(true);
      await watcher.endAsync();
    }
  });
});

describe('simulator firmware dialects', () => {
  const prefixes: Record<string, string> = { tasmota: 'tasmota:', z2m: 'z2m:', shelly: 'shelly:', esphome: 'esphome:', homie: 'homie:', ha: 'ha:', owntracks: 'owntracks:' };

  for (const dialect of DIALECTS.filter((d) => d !== 'octopus')) {
    it(`${dialect}: every message the devices send is understood by the parser, as that firmware`, () => {
      const fleet = createFleet({ sites: 1, roomsPerSite: 2, devicesPerRoom: 8, seed: 5, sitePrefix: 'dialect' });
      const context = createProfileContext();
      let readings = 0;
      let availability = 0;
      for (const d of fleet) {
        for (const m of announce(dialect, d)) {
          const r = parseMessage(m.topic, Buffer.from(m.payload), { context });
          assert.equal(r.rejects.length, 0, `${m.topic}: ${JSON.stringify(r.rejects)}`);
          availability += r.availability?.length ?? 0;
        }
        for (const a of d.attributes) {
          const m = report(dialect, d, a, Date.parse('2026-11-23T10:00:00Z'));
          const r = parseMessage(m.topic, Buffer.from(m.payload), { context });
          assert.equal(r.rejects.length, 0, `${m.topic} ${m.payload}: ${JSON.stringify(r.rejects)}`);
          assert.equal(r.profile, dialect);
          for (const x of r.readings) assert.ok(x.deviceId.startsWith(prefixes[dialect]) && x.deviceId.includes(nativeId(d)), x.deviceId);
          readings += r.readings.length;
        }
      }
      assert.ok(readings >= fleet.length, `${readings} readings from ${fleet.length} devices`);
      if (!['homie', 'ha', 'owntracks'].includes(dialect)) assert.equal(availability, fleet.length);
    });
  }
});
