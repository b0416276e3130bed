/**
 * Issue #15, houses and bounds: pure tests (Node only).
 *  - firmware topics with a house prefix are filed under that house, never the default site;
 *  - topic levels and attribute names are bounded; devices per site and attributes per device too;
 *  - controls are looked up as own properties (constructor, toString, __proto__ are not controls);
 *  - the dashboard re-checks rights once per session, not once per request.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from '../lib/auth/auth-service';
import { authorizeDashboard } from '../lib/auth/dashboard-viewer';
import { validateCommand } from '../lib/commands/command-rules';
import type { ParseResult } from '../lib/model/reading';
import { createProfileContext, parseMessage } from '../lib/parser';
import { DeviceRegistry, type DeviceRecord } from '../lib/registry/device-registry';
import { applyHouseLimits, HouseLimits } from '../lib/registry/house-limits';

const NOW = Date.now();
const OPT = { receivedAt: NOW, defaultSite: 'home' };

function sitesOf(r: ParseResult): string[] {
  return [...r.readings, ...(r.availability ?? []), ...(r.commands ?? []), ...(r.devices ?? [])].map((x) => x.site);
}

describe('house bounds (issue #15)', () => {
  describe('a firmware topic with a house prefix belongs to that house', () => {
    it('casa1/plug/tele/SENSOR is filed under casa1, not the default site', () => {
      const r = parseMessage('casa1/plug/tele/SENSOR', '{"ENERGY":{"Power":12}}', OPT);
      assert.equal(r.profile, 'tasmota');
      assert.deepEqual(r.readings.map((x) => [x.deviceId, x.site, x.attribute]), [['tasmota:casa1/plug', 'casa1', 'ENERGY.Power']]);
      const lwt = parseMessage('casa1/plug/tele/LWT', 'Offline', OPT);
      assert.deepEqual(sitesOf(lwt), ['casa1']);
    });

    it('casa1/light/lamp1/state (ESPHome) is filed under casa1', () => {
      const r = parseMessage('casa1/light/lamp1/state', 'ON', OPT);
      assert.equal(r.profile, 'esphome');
      assert.deepEqual(r.readings.map((x) => [x.deviceId, x.site]), [['esphome:casa1', 'casa1']]);
      assert.deepEqual(sitesOf(parseMessage('casa1/status', 'online', OPT)), ['casa1']);
      assert.deepEqual(sitesOf(parseMessage('casa1/shelly1/status/switch:0', '{"apower":3}', OPT)), ['casa1']);
    });

    it('topics with no house prefix (tele/…, zigbee2mqtt/…) take the configured default site', () => {
      assert.deepEqual(sitesOf(parseMessage('tele/plug/SENSOR', '{"ENERGY":{"Power":12}}', OPT)), ['home']);
      assert.deepEqual(sitesOf(parseMessage('zigbee2mqtt/lamp', '{"brightness":3}', { ...OPT, defaultSite: 'mine' })), ['mine']);
      assert.deepEqual(sitesOf(parseMessage('shellies/plug-1/relay/0/power', '5', OPT)), ['home']);
    });

    it('a house prefix cannot name another house: the first level decides, and devices stay inside it', () => {
      const r = parseMessage('casa1/casa2/tele/SENSOR', '{"ENERGY":{"Power":1}}', OPT);
      assert.deepEqual(r.readings.map((x) => [x.deviceId, x.site]), [['tasmota:casa1/casa2', 'casa1']]);
      // an entity announced (by the operator's discovery) with its own id, whose state topic lies in casa1's tree
      const context = createProfileContext();
      const config = JSON.stringify({ state_topic: 'casa1/meters/t', device: { identifiers: ['casa2'] }, name: 't' });
      parseMessage('homeassistant/sensor/t/config', config, { ...OPT, context });
      const x = parseMessage('casa1/meters/t', '21', { ...OPT, context, profiles: ['ha'] });
      assert.deepEqual(x.readings.map((y) => [y.deviceId, y.site]), [['ha:casa1/casa2', 'casa1']]);
    });
  });

  describe('levels and attribute names are bounded', () => {
    it('a topic level over 128 bytes is refused before any profile reads it', () => {
      const long = 'x'.repeat(20_000);
      for (const topic of [`casa1/${long}/tele/SENSOR`, `casa1/room/${long}/t`, `tele/${long}/SENSOR`]) {
        const r = parseMessage(topic, '{"ENERGY":{"Power":1}}', OPT);
        assert.deepEqual([r.readings.length, r.rejects.map((j) => j.code)], [0, ['topic-level-too-long']], topic.slice(0, 20));
        assert.ok(r.rejects[0].reason.length < 300);
      }
      // 128 bytes of multi-byte characters are counted in bytes
      assert.equal(parseMessage(`casa1/room/${'é'.repeat(65)}/t`, '1', OPT).rejects[0]?.code, 'topic-level-too-long');
      assert.equal(parseMessage(`casa1/room/${'é'.repeat(64)}/t`, '1', OPT).readings.length, 1);
      assert.equal(parseMessage(`casa1/room/${'x'.repeat(200)}/t`, '1', { ...OPT, maxLevelBytes: 256 }).readings.length, 1);
    });

    it('an attribute name over the bound is refused, the other values come through', () => {
      const r = parseMessage('casa1/room/dev', JSON.stringify({ [`a${'b'.repeat(200)}`]: 1, ok: 2 }), OPT);
      assert.deepEqual(r.readings.map((x) => x.attribute), ['ok']);
      assert.deepEqual(r.rejects.map((x) => x.code), ['attribute-too-long']);
    });
  });

  describe('devices per site and attributes per device', () => {
    it('HouseLimits admits up to the caps, per site, and says why not beyond', () => {
      const limits = new HouseLimits({ maxDevicesPerSite: 3, maxAttributesPerDevice: 2 });
      for (let i = 0; i < 3; i++) assert.equal(limits.admit('casa1', `d${i}`, 'a'), undefined);
      assert.equal(limits.admit('casa1', 'd3', 'a')?.code, 'device-limit');
      assert.equal(limits.admit('casa2', 'd3', 'a'), undefined, 'another house has its own cap');
      assert.equal(limits.admit('casa1', 'd0', 'b'), undefined);
      assert.equal(limits.admit('casa1', 'd0', 'c')?.code, 'attribute-limit');
      assert.equal(limits.admit('casa1', 'd0', 'a'), undefined, 'known attributes still pass');
      limits.forget('casa1', 'd1');
      assert.equal(limits.admit('casa1', 'd3', 'a'), undefined, 'a deletion frees a place');
    });

    it('a flood of unique topics from one house becomes rejects with a reason, another house is untouched', () => {
      const limits = new HouseLimits({ maxDevicesPerSite: 50, maxAttributesPerDevice: 5 });
      let readings = 0;
      const rejects: Record<string, number> = {};
      for (let i = 0; i < 500; i++) {
        const r = parseMessage(`casa1/r/dev${i}/temp`, '1', OPT);
        applyHouseLimits(r, limits);
        readings += r.readings.length;
        for (const j of r.rejects) rejects[j.code] = (rejects[j.code] ?? 0) + 1;
      }
      assert.deepEqual([readings, rejects], [50, { 'device-limit': 450 }]);
      const attrs = parseMessage('casa1/r/dev0', JSON.stringify(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, i]))), OPT);
      applyHouseLimits(attrs, limits);
      assert.deepEqual([attrs.readings.length, attrs.rejects.every((j) => j.code === 'attribute-limit'), attrs.rejects.length], [4, true, 6]);
      const other = parseMessage('casa2/r/dev/temp', '1', OPT);
      assert.equal(applyHouseLimits(other, limits), 0);
      assert.equal(other.readings.length, 1);
      const lwt = parseMessage('casa1/plugX/tele/LWT', 'Online', OPT);
      applyHouseLimits(lwt, limits);
      assert.deepEqual([lwt.availability, lwt.rejects.map((j) => j.code)], [undefined, ['device-limit']], 'events cannot add devices beyond the cap either');
    });

    it('the registry refuses (and counts) readings and events beyond its caps', () => {
      const reg = new DeviceRegistry({ maxDevicesPerSite: 2, maxAttributesPerDevice: 2 });
      const reading = (site: string, device: string, attribute: string) => ({ deviceId: `${site}/r/${device}`, site, room: 'r', device, attribute, value: 1, ts: NOW, deviceTs: false });
      reg.observeReading(reading('casa1', 'a', 'x'), NOW);
      reg.observeReading(reading('casa1', 'b', 'x'), NOW);
      assert.deepEqual(reg.observeReading(reading('casa1', 'c', 'x'), NOW), []);
      assert.equal(reg.get('casa1/r/c'), undefined);
      reg.observeReading(reading('casa1', 'a', 'y'), NOW);
      reg.observeReading(reading('casa1', 'a', 'z'), NOW);
      assert.deepEqual([...(reg.get('casa1/r/a')?.attributes.keys() ?? [])], ['x', 'y']);
      reg.observeAvailability({ deviceId: 'tasmota:casa1/p', site: 'casa1', room: '', device: 'casa1/p', profile: 'tasmota' }, 'online', 'Online', NOW);
      assert.equal(reg.get('tasmota:casa1/p'), undefined);
      reg.observeReading(reading('casa2', 'a', 'x'), NOW);
      assert.deepEqual([reg.devicesIn('casa1'), reg.devicesIn('casa2'), reg.refused], [2, 1, { 'device-limit': 2, 'attribute-limit': 1 }]);
      reg.remove('casa1/r/b', NOW);
      reg.observeReading(reading('casa1', 'c', 'x'), NOW);
      assert.equal(reg.devicesIn('casa1'), 2);
    });
  });

  describe('controls are own properties only', () => {
    const device = (): DeviceRecord => ({
      deviceId: 'casa/salon/luz',
      site: 'casa',
      room: 'salon',
      device: 'luz',
      state: 'online',
      stateSince: 0,
      stateReason: '',
      firstSeen: 0,
      lastSeen: 0,
      attributes: new Map(),
      meta: { controls: { on: { kind: 'switch' } } },
    });

    it('constructor, toString, __proto__, hasOwnProperty are not controllable', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        for (const value of [1, 0, 'on', true]) {
          const v = validateCommand(device(), name, value);
          assert.equal(v.ok, false, `${name}=${String(value)}`);
          assert.equal(!v.ok && v.status, 409);
        }
      }
      assert.deepEqual(validateCommand(device(), 'on', 'on'), { ok: true, value: true });
    });
  });

  describe('the dashboard re-checks rights once per session', () => {
    it('many requests on one keep-alive connection make one timer and one re-check per interval, stopped at close', async () => {
      let lookups = 0;
      const principal = { userId: 1, username: 'ana', via: 'session' as const, operator: false, sites: new Map([['casa1', 'viewer' as const]]) };
      const auth = {
        principal: async () => {
          lookups++;
          return principal;
        },
      } as unknown as AuthService;
      const realSetInterval = globalThis.setInterval;
      const realClearInterval = globalThis.clearInterval;
      const timers = new Set<unknown>();
      let started = 0;
      const ticks: Array<() => void> = [];
      globalThis.setInterval = ((fn: () => void) => {
        started++;
        ticks.push(fn);
        const t = { unref: () => t };
        timers.add(t);
        return t;
      }) as unknown as typeof setInterval;
      globalThis.clearInterval = ((t: unknown) => void timers.delete(t)) as typeof clearInterval;
      try {
        const authorize = authorizeDashboard(() => auth, 1000);
        const socket = new EventEmitter();
        const requests = 2000;
        for (let i = 0; i < requests; i++) {
          const viewer = await authorize({ headers: { cookie: 'octopus_session=tok-a' }, socket } as unknown as IncomingMessage);
          assert.equal(viewer?.canSee('casa1'), true);
        }
        assert.equal(lookups, requests, 'one lookup per request to authenticate it');
        assert.deepEqual([started, timers.size, socket.listenerCount('close'), authorize.sessions()], [1, 1, 1, 1]);
        // a second connection of the same session shares the timer
        const socket2 = new EventEmitter();
        await authorize({ headers: { cookie: 'octopus_session=tok-a' }, socket: socket2 } as unknown as IncomingMessage);
        assert.deepEqual([started, timers.size], [1, 1]);
        lookups = 0;
        for (const tick of ticks) tick();
        assert.equal(lookups, 1, 'one re-check per interval for the session');
        socket.emit('close');
        assert.equal(timers.size, 1, 'still open on the second connection');
        socket2.emit('close');
        assert.deepEqual([timers.size, authorize.sessions()], [0, 0]);
      } finally {
        globalThis.setInterval = realSetInterval;
        globalThis.clearInterval = realClearInterval;
      }
    });
  });
});
