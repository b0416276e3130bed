/**
 * The simulator's Tasmota devices with a custom FullTopic and renamed prefixes (issue #17): what
 * they publish is read back by the parser told the same FullTopic, as Tasmota's LWT, SENSOR and
 * POWER, and the command topic they listen on is the one the parser reads as a command.
 */
import assert from 'node:assert/strict';
import type { ParseOptions } from '../lib/model/reading';
import { parseMessage } from '../lib/parser';
import { announce, commandTopic, farewell, nativeId, report, tasmotaTopic, type DialectOptions } from '../lib/simulation/dialects';
import { createFleet } from '../lib/simulation/fleet';

const NOW = Date.parse('2026-11-23T10:00:00Z');

describe('simulator: Tasmota with a custom FullTopic (issue #17)', () => {
  it('builds topics as Tasmota does: FullTopic with %prefix% and %topic% filled, then the suffix', () => {
    assert.equal(tasmotaTopic('tele', 'plug', 'SENSOR'), 'tele/plug/SENSOR');
    assert.equal(tasmotaTopic('tele', 'plug', 'SENSOR', { tasmotaFullTopic: '%topic%/%prefix%' }), 'plug/tele/SENSOR');
    assert.equal(tasmotaTopic('cmnd', 'plug', 'POWER', { tasmotaFullTopic: 'casa1/%prefix%/%hostname%/', tasmotaPrefixes: { cmnd: 'command', stat: 'status', tele: 'telemetry' } }), 'casa1/command/plug/POWER');
  });

  for (const [name, sim, parser] of [
    ['a site in front', { tasmotaFullTopic: 'casa1/%prefix%/%topic%/' }, { tasmota: { fullTopic: 'casa1/%prefix%/%topic%/' } }],
    ['renamed prefixes', { tasmotaPrefixes: { cmnd: 'command', stat: 'status', tele: 'telemetry' } }, { tasmota: { prefixes: { cmnd: 'command', stat: 'status', tele: 'telemetry' } } }],
  ] as Array<[string, DialectOptions, ParseOptions]>) {
    it(`${name}: every message of the fleet is read back as Tasmota's, on the device's own id`, () => {
      const fleet = createFleet({ sites: 1, roomsPerSite: 3, devicesPerRoom: 3, seed: 7 });
      let readings = 0;
      let commands = 0;
      for (const d of fleet) {
        const id = nativeId(d);
        const [online] = announce('tasmota', d, sim);
        const lwt = parseMessage(online.topic, online.payload, { receivedAt: NOW, ...parser });
        assert.deepEqual(lwt.availability?.map((e) => [e.deviceId.endsWith(id), e.state]), [[true, 'online']], online.topic);
        assert.equal(parseMessage(farewell('tasmota', d, sim)[0].topic, 'Offline', { receivedAt: NOW, ...parser }).availability?.[0].state, 'offline');
        for (const a of d.attributes) {
          const m = report('tasmota', d, a, NOW, sim);
          const r = parseMessage(m.topic, m.payload, { receivedAt: NOW, ...parser });
          assert.equal(r.profile, 'tasmota', m.topic);
          assert.deepEqual(r.rejects, [], m.topic);
          assert.ok(r.readings.length === 1 && r.readings[0].deviceId.endsWith(id), `${m.topic}: ${JSON.stringify(r.readings)}`);
          readings++;
          if (a.controllable === 'switch') {
            const c = parseMessage(commandTopic('tasmota', d, a, sim), 'ON', { receivedAt: NOW, ...parser });
            assert.deepEqual(c.commands?.map((x) => [x.command, x.value]), [['POWER', 'ON']]);
            commands++;
          }
        }
      }
      assert.ok(readings > 10 && commands > 0, `${readings} readings, ${commands} commands`);
    });
  }
});
