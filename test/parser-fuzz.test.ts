/**
 * parseMessage against hostile and broken input, across every profile: 10,000 random and mutated
 * topics and payloads (seeded: a failure replays), and the named hostile cases of issue 6 — invalid
 * UTF-8, truncated JSON, nan/inf/empty values, huge payloads, 100+ level topics, empty levels,
 * wildcards in a published topic, a leading `/`, empty retained payloads. Nothing may throw, every
 * result must answer (reading, reject, event or ignore reason), and what comes out must be storable.
 */
import assert from 'node:assert/strict';
import { mutatePayload, prng } from './support/fuzz';
import type { DeviceEvent, ParseOptions, ParseResult, ProfileName, Reading, RejectCode } from '../lib/model/reading';
import { createProfileContext, DEFAULT_PROFILE_ORDER, parseMessage } from '../lib/parser';

const NOW = Date.parse('2026-11-23T10:00:00Z');

const CODES = new Set<RejectCode>([
  'topic-empty',
  'topic-depth',
  'topic-empty-level',
  'topic-wildcard',
  'topic-invalid-char',
  'topic-unknown',
  'payload-empty',
  'payload-too-large',
  'payload-not-utf8',
  'payload-invalid-json',
  'value-not-finite',
  'value-invalid',
  'timestamp-invalid',
  'attribute-invalid',
  'topic-level-too-long',
  'attribute-too-long',
  'parser-error',
]);

/** Real topics and payloads of every profile: what the mutations start from. */
const SEEDS: Array<[string, string]> = [
  ['casa/salon/termo/temperature', '21.5'],
  ['casa/salon/termo', '{"temperature":21.5,"humidity":{"value":40,"unit":"%"},"ts":1795000000}'],
  ['tele/pow1/SENSOR', '{"Time":"2018-02-15T17:37:10","ENERGY":{"Total":6.294,"Power":2635,"Voltage":227,"Current":11.661}}'],
  ['tele/nan/SENSOR', '{"Time":"2018-10-31T11:57:31","SI7021-02":{"Temperature":nan,"Humidity":nan},"TempUnit":"C"}'],
  ['tele/tasmota/STATE', '{"Time":"2019-10-31T11:14:59","UptimeSec":66972,"POWER":"OFF","Wifi":{"RSSI":100,"Signal":-57}}'],
  ['tele/tasmota_XXXXXX/LWT', 'Online'],
  ['stat/tasmota/POWER2', 'ON'],
  ['cmnd/tasmota/POWER', 'TOGGLE'],
  ['plug/tele/SENSOR', '{"AM2301":{"Temperature":24.6,"Humidity":58.2},"TempUnit":"C"}'],
  ['zigbee2mqtt/Living Room/Lamp', '{"state":"ON","brightness":215,"color":{"x":0.46,"y":0.41},"last_seen":"2026-11-23T09:59:30.000Z"}'],
  ['zigbee2mqtt/Living Room/Lamp/availability', '{"state":"online"}'],
  ['zigbee2mqtt/bridge/devices', '[{"friendly_name":"my_plug","ieee_address":"0x00158d00018255df","definition":{"model":"ZNCZ02LM","vendor":"Xiaomi","exposes":[{"type":"numeric","property":"power","unit":"W"}]}}]'],
  ['zigbee2mqtt/bridge/event', '{"type":"device_leave","data":{"ieee_address":"0x90fd9ffffe6494fc","friendly_name":"my_bulb"}}'],
  ['shellies/shellyplug-s-ABC123/relay/0/energy', '4533'],
  ['shellies/shellyplug-s-ABC123/online', 'true'],
  ['shellies/announce', '{"id":"shellyplug-s-ABC123","model":"SHPLG-S","mac":"A4CF12C18B12","ip":"192.168.1.54","fw_ver":"v1.9.0"}'],
  ['shellyplus1pm-441793a3b3c4/status/switch:0', '{"id":0,"output":false,"apower":0,"aenergy":{"total":14.093,"by_minute":[0,0,0]},"temperature":{"tC":45.4}}'],
  ['shellyplus1pm-441793a3b3c4/events/rpc', '{"method":"NotifyStatus","params":{"ts":1795427990.12,"switch:0":{"apower":12.3}}}'],
  ['weather-station/sensor/temperature/state', 'nan'],
  ['weather-station/light/lamp/state', '{"state":"ON","brightness":255}'],
  ['weather-station/status', 'offline'],
  ['homie/super-car/$state', 'lost'],
  ['homie/super-car/engine/temperature/$datatype', 'float'],
  ['homie/super-car/engine/temperature', '21.5'],
  ['homie/kitchen-light/light/power/set', 'true'],
  ['homeassistant/sensor/sensorBedroomT/config', '{"state_topic":"homeassistant/sensor/sensorBedroom/state","unit_of_measurement":"°C","value_template":"{{ value_json.temperature }}","device":{"identifiers":["bedroom01ae"]}}'],
  ['homeassistant/sensor/sensorBedroom/state', '{"temperature":23.2,"humidity":43.7}'],
  ['homeassistant/switch/irrigation/config', '{"~":"homeassistant/switch/irrigation","name":"garden","cmd_t":"~/set","stat_t":"~/state"}'],
  ['homeassistant/device/0AFFD2/config', '{"dev":{"ids":["0AFFD2"]},"cmps":{"bla2":{"p":"sensor","stat_t":"foobar/sensors/bla2/state"}}}'],
  ['owntracks/jane/phone', '{"_type":"location","lat":48.856826,"lon":2.292713,"batt":53,"tst":1706856298}'],
  ['owntracks/jane/phone/event', '{"_type":"transition","event":"enter","desc":"Home","tst":1707057574}'],
];

const LEVEL_PIECES = ['', '+', '#', '\u0000', '\ufffd', '\ud800', '$SYS', 'a b', '🌡', 'x'.repeat(120), '\n', 'status', 'state', 'tele', 'set', 'switch:0', 'sensor', 'config'];
const INSERTS = ['{', '"', '\\', '\\u0000', ',', ':', 'nan', 'NaN', '-inf', 'Infinity', '\u0000', 'é', '1e999', ' ', 'null', '[', ']', '}}', '"\ud800"'];

describe('parseMessage fuzz and hostile input (all profiles)', function () {
  this.timeout(60000);

  it('10,000 random and mutated topics and payloads: no exception, always an answer, storable output', () => {
    const rand = prng(0x0c7095);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const ctx = createProfileContext({ haEntities: 200, homieProperties: 200, z2mDevices: 50 });
    const seen = new Set<string>();
    for (let i = 0; i < 10000; i++) {
      const [seedTopic, seedPayload] = pick(SEEDS);
      const topic = mutateTopic(seedTopic, rand, pick);
      const bytes = mutatePayload(Buffer.from(seedPayload), rand, INSERTS);
      const payload: Buffer | string = rand() < 0.25 ? bytes.toString('utf8') : bytes;
      const options: ParseOptions = {
        receivedAt: NOW,
        context: ctx,
        maxPayloadBytes: rand() < 0.05 ? 16 : undefined,
        profiles: rand() < 0.2 ? shuffled(DEFAULT_PROFILE_ORDER, rand).slice(0, 1 + Math.floor(rand() * 8)) : undefined,
        defaultSite: rand() < 0.1 ? '' : undefined,
      };
      let r: ParseResult;
      try {
        r = parseMessage(topic, payload, options);
      } catch (err) {
        assert.fail(`threw on ${JSON.stringify(topic)} ${JSON.stringify(payload.toString())}: ${String(err)}`);
      }
      checkResult(r, `${JSON.stringify(topic)} ${JSON.stringify(payload.toString().slice(0, 120))}`);
      seen.add(r.profile ?? 'octopus');
      if (r.readings.length) seen.add('reading');
      for (const x of r.rejects) seen.add(x.code);
      if ((r.availability?.length ?? 0) + (r.devices?.length ?? 0) + (r.commands?.length ?? 0) + (r.deletions?.length ?? 0) > 0) seen.add('event');
      if (r.ignored) seen.add('ignored');
    }
    // the fuzz reached every profile and every kind of answer
    for (const p of DEFAULT_PROFILE_ORDER) assert.ok(seen.has(p), `no message reached ${p}`);
    for (const k of ['reading', 'event', 'ignored', 'payload-invalid-json', 'value-not-finite', 'topic-wildcard', 'topic-empty-level', 'payload-not-utf8']) {
      assert.ok(seen.has(k), `never saw ${k}: ${[...seen].join(' ')}`);
    }
    // the stateful tables stayed within their bounds
    assert.ok(ctx.haEntities.size <= 200 && ctx.homie.size <= 200 && ctx.z2mUnits.size <= 50);
  });

  describe('hostile cases', () => {
    const firmwareTopics = ['tele/plug/SENSOR', 'zigbee2mqtt/Lamp', 'shellyplus1pm-441793a3b3c4/status/switch:0', 'homie/dev/node/prop', 'owntracks/jane/phone', 'weather-station/sensor/t/state'];

    it('invalid UTF-8 is refused on every profile', () => {
      for (const t of [...firmwareTopics, 'casa/salon/termo/t']) {
        const r = parseMessage(t, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xc3, 0x28, 0x7d]), { receivedAt: NOW });
        assert.deepEqual(r.rejects.map((x) => x.code), ['payload-not-utf8'], t);
        checkResult(r, t);
      }
    });

    it('truncated JSON is refused with a reason echoing it', () => {
      // Homie payloads are never JSON: there the text is a (string) value
      for (const t of firmwareTopics.filter((x) => !x.startsWith('homie/'))) {
        const r = parseMessage(t, '{"temperature": 21.', { receivedAt: NOW });
        assert.ok(r.rejects.some((x) => x.code === 'payload-invalid-json' || x.code === 'value-invalid' || x.code === 'topic-unknown'), `${t}: ${JSON.stringify(r.rejects)}`);
        assert.deepEqual(r.readings, []);
        checkResult(r, t);
      }
    });

    it('nan, inf and empty values are refused one by one; the valid values of the payload still come through', () => {
      const r = parseMessage('zigbee2mqtt/Lamp', '{"temperature":nan,"humidity":-inf,"pressure":Infinity,"battery":"","state":"ON","linkquality":80}', { receivedAt: NOW });
      assert.deepEqual(r.readings.map((x) => x.attribute).sort(), ['linkquality', 'state']);
      assert.deepEqual(
        r.rejects.map((x) => [x.code, x.attribute]),
        [
          ['value-not-finite', 'temperature'],
          ['value-not-finite', 'humidity'],
          ['value-not-finite', 'pressure'],
          ['value-invalid', 'battery'],
        ],
      );
      for (const p of ['nan', 'inf', '-nan', 'NaN', 'Infinity']) {
        assert.deepEqual(parseMessage('weather-station/sensor/t/state', p, { receivedAt: NOW }).rejects.map((x) => x.code), ['value-not-finite'], p);
        assert.deepEqual(parseMessage('shellies/x/relay/0/power', p, { receivedAt: NOW }).rejects.map((x) => x.code), ['value-not-finite'], p);
      }
    });

    it('huge payloads (hundreds of KB) are refused before decoding, or read within a raised limit', () => {
      const entries: string[] = [];
      for (let i = 0, size = 0; size < 400 * 1024; i++) {
        entries.push(`"DS18B20-${i}":{"Id":"0000${i}","Temperature":${(i % 300) / 10}}`);
        size += entries[i].length + 1;
      }
      const big = `{"Time":"2021-01-02T09:09:44",${entries.join(',')},"TempUnit":"C"}`;
      const refused = parseMessage('tele/plug/SENSOR', big, { receivedAt: NOW });
      assert.deepEqual(refused.rejects.map((x) => x.code), ['payload-too-large']);
      const t0 = Date.now();
      const read = parseMessage('tele/plug/SENSOR', Buffer.from(big), { receivedAt: NOW, maxPayloadBytes: 1024 * 1024 });
      assert.equal(read.readings.length, entries.length);
      assert.ok(Date.now() - t0 < 1000, `a 400 KB payload parses in well under a second (took ${Date.now() - t0} ms)`);
      checkResult(read, 'big');
    });

    it('deep topics (100+ levels), empty levels, wildcards, a leading / and control characters are refused', () => {
      const deep = Array.from({ length: 120 }, (_, i) => `l${i}`);
      const cases: Array<[string, RejectCode]> = [
        [deep.join('/'), 'topic-depth'],
        [`tele/${deep.join('/')}/SENSOR`, 'topic-depth'],
        [`zigbee2mqtt/${deep.join('/')}`, 'topic-depth'],
        ['tele//SENSOR', 'topic-empty-level'],
        ['zigbee2mqtt/Lamp/', 'topic-empty-level'],
        ['zigbee2mqtt/+', 'topic-wildcard'],
        ['tele/#/SENSOR', 'topic-wildcard'],
        ['homie/dev/+/prop', 'topic-wildcard'],
        ['/tele/plug/SENSOR', 'topic-empty-level'],
        ['/zigbee2mqtt/Lamp', 'topic-empty-level'],
        ['zigbee2mqtt/La\u0000mp', 'topic-invalid-char'],
        ['shellies/x\ufffd/relay/0', 'topic-invalid-char'],
      ];
      for (const [t, code] of cases) {
        const r = parseMessage(t, '{"temperature":21.5}', { receivedAt: NOW });
        assert.deepEqual(r.rejects.map((x) => x.code), [code], JSON.stringify(t.slice(0, 60)));
        assert.deepEqual(r.readings, []);
      }
    });

    it('empty retained payloads are deletions, never readings', () => {
      for (const t of [...firmwareTopics, 'casa/salon/termo/t', 'tele/plug/LWT', 'zigbee2mqtt/Lamp/availability', 'shellies/x/online']) {
        for (const payload of ['', Buffer.alloc(0)]) {
          const r = parseMessage(t, payload, { receivedAt: NOW });
          assert.deepEqual(r.readings, [], t);
          assert.ok(r.rejects.some((x) => x.code === 'payload-empty') || r.deletions !== undefined || r.ignored !== undefined, t);
        }
      }
      const ctx = createProfileContext();
      parseMessage('homeassistant/sensor/x/config', '{"stat_t":"a/b"}', { receivedAt: NOW, context: ctx });
      const del = parseMessage('homeassistant/sensor/x/config', '', { receivedAt: NOW, context: ctx });
      assert.equal(del.deletions?.length, 1);
      assert.equal(ctx.haTopics.size, 0);
      assert.equal(parseMessage('homie/dev/$homie', '', { receivedAt: NOW }).deletions?.length, 1);
    });

    it('NUL and control characters in names, units and ids from payloads are replaced, never stored', () => {
      const ctx = createProfileContext();
      const o: ParseOptions = { receivedAt: NOW, context: ctx };
      const config = parseMessage('homeassistant/sensor/x/config', '{"stat_t":"a/b","unit_of_meas":"\\u0000°C","name":"T\\u0007","dev":{"ids":["id\\u0000"]}}', o);
      checkResult(config, 'ha config');
      const state = parseMessage('a/b', '21.5', o);
      assert.equal(state.readings[0].unit, '\ufffd°C');
      parseMessage('homie/dev/n/p/$unit', '°\u0000C', o);
      assert.equal(parseMessage('homie/dev/n/p', '1', o).readings[0].unit, '°\ufffdC');
      checkResult(parseMessage('shellies/announce', '{"id":"plug\\u0000x","model":"\\u0001"}', o), 'announce');
      checkResult(parseMessage('zigbee2mqtt/bridge/event', '{"type":"device_joined","data":{"friendly_name":"a\\u0000b"}}', o), 'z2m event');
    });

    it('payloads that are not Buffers or strings, and topics that are not strings, are refused', () => {
      for (const payload of [42, {}, [], true] as unknown as Array<Buffer | string>) {
        checkResult(parseMessage('tele/plug/SENSOR', payload, { receivedAt: NOW }), 'non-buffer');
      }
      for (const topic of [undefined, null, 42, ''] as unknown as string[]) {
        const r = parseMessage(topic, '1', { receivedAt: NOW, profiles: ['tasmota'] });
        assert.deepEqual(r.rejects.map((x) => x.code), ['topic-empty']);
      }
    });
  });
});

function mutateTopic(seed: string, rand: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const levels = seed.split('/');
  const mode = rand();
  if (mode < 0.45) return seed;
  if (mode < 0.75) {
    levels[Math.floor(rand() * levels.length)] = rand() < 0.5 ? pick(LEVEL_PIECES) : `l${Math.floor(rand() * 5)}`;
  } else if (mode < 0.85) {
    levels.splice(Math.floor(rand() * (levels.length + 1)), 0, pick(LEVEL_PIECES));
  } else if (mode < 0.9) {
    levels.splice(Math.floor(rand() * levels.length), 1);
  } else if (mode < 0.95) {
    return (rand() < 0.5 ? '/' : '') + levels.join('/') + (rand() < 0.5 ? '/' : '');
  } else {
    for (let i = 0, n = 40 + Math.floor(rand() * 80); i < n; i++) levels.push(`d${i}`);
  }
  return levels.join('/');
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function checkResult(r: ParseResult, what: string): void {
  assert.ok(Array.isArray(r.readings) && Array.isArray(r.rejects), what);
  const events: DeviceEvent[] = [...(r.availability ?? []), ...(r.devices ?? []), ...(r.deletions ?? []), ...(r.commands ?? [])];
  assert.ok(r.readings.length + r.rejects.length + events.length >= 1 || typeof r.ignored === 'string', `no answer for ${what}`);
  for (const x of r.rejects) {
    assert.ok(CODES.has(x.code), x.code);
    assert.notEqual(x.code, 'parser-error', `${what}: ${x.reason}`);
    assert.ok(typeof x.reason === 'string' && x.reason.length > 20, x.reason);
    assert.ok(!x.reason.includes('\u0000') && !(x.attribute ?? '').includes('\u0000'), x.reason);
  }
  for (const x of r.readings) checkReading(x, r.profile, what);
  for (const e of events) {
    assert.ok(e.deviceId.length > 0 && typeof e.site === 'string' && e.site.length > 0, what);
    assert.ok(!holdsNul(e), `${what}: an event holds NUL`);
    assert.ok(Number.isInteger(e.ts), what);
    if (e.kind === 'availability') assert.ok(['online', 'offline', 'other'].includes(e.state));
  }
}

function checkReading(x: Reading, profile: ProfileName | undefined, what: string): void {
  if (profile === undefined) {
    assert.equal(x.deviceId, `${x.site}/${x.room}/${x.device}`, what);
  } else {
    assert.equal(x.deviceId, `${x.deviceId.slice(0, x.deviceId.indexOf(':'))}:${x.device}`, what);
    assert.ok(x.site.length > 0 && x.room === '', what);
  }
  for (const s of [x.deviceId, x.site, x.device, x.attribute]) assert.ok(!s.includes('\u0000'), what);
  assert.ok(x.attribute.length > 0 && !/[/+#]/.test(x.attribute), `${what}: attribute ${x.attribute}`);
  assert.ok(['number', 'boolean', 'string'].includes(typeof x.value), what);
  if (typeof x.value === 'number') assert.ok(Number.isFinite(x.value), what);
  if (typeof x.value === 'string') assert.ok(x.value.length > 0 && !x.value.includes('\u0000'), `${what}: ${JSON.stringify(x.value)}`);
  assert.ok(Number.isInteger(x.ts), what);
  if (x.unit !== undefined) assert.ok(x.unit.length > 0 && !x.unit.includes('\u0000'), what);
}

/** True when some string inside holds a NUL character (PostgreSQL text cannot store it). */
function holdsNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(holdsNul);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(holdsNul);
  return false;
}
