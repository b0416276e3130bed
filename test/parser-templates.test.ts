/**
 * Topic templates, value paths, arrays and wrapped values in the Octopus format, the Tasmota
 * FullTopic settings, and the "try a message" pieces (issue #17): the rules one by one, the
 * settings' own errors, the CLI, and a 10 000-message fuzz with templates and a FullTopic set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ParseOptions, ParseResult } from '../lib/model/reading';
import { compileFullTopic, parseMessage } from '../lib/parser';
import { parseOptionsOf, topicOptionsOf } from '../lib/parser/parse-config';
import { MAX_KEPT_BYTES, RecentMessages } from '../lib/parser/recent-messages';
import { compileTemplate, compileTemplates } from '../lib/parser/topic-template';
import { resultLines, tryMessage } from '../lib/parser/try-message';
import { compileValuePath } from '../lib/parser/value-path';
import { mutatePayload, prng } from './support/fuzz';
import { REAL_MESSAGES } from './support/real-world-messages';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const run = promisify(execFile);

function withTemplates(lines: string[], topic: string, payload: string, extra: ParseOptions = {}): ParseResult {
  return parseMessage(topic, payload, { receivedAt: NOW, topicTemplates: lines, ...extra });
}

function problemOf(line: string): string {
  const t = compileTemplate(line);
  assert.equal(typeof t, 'string', `${line} compiled`);
  return t as string;
}

describe('topic templates (issue #17)', () => {
  it('refuses templates that cannot match or name no device, with the reason', () => {
    assert.match(problemOf('{site}//{attribute}'), /empty level/);
    assert.match(problemOf('{site}/#/{attribute}'), /# before its last level/);
    assert.match(problemOf('{site}/{room}/{room}'), /names \{room\} twice/);
    assert.match(problemOf('{site}/{attribute}'), /names no device/);
    assert.match(problemOf('{site}/{room}/{attribute} colour=red'), /unknown template setting "colour"/);
    assert.match(problemOf('{site}/{room}/{attribute} device={sensor}'), /uses \{sensor\}, which the pattern does not take/);
    assert.match(problemOf('{site}/{room}/{attribute} device=a/b'), /may not hold/);
    assert.match(problemOf('{site}/{device} path=a..b'), /cannot be read/);
    assert.match(problemOf('{site}/ro{om}/{device}'), /neither \{name\}, \+, # nor a plain word/);
    const { templates, problems } = compileTemplates('// ESP sketches\n/{device}/{sensor}/{attribute}\n\n{site}/{attribute}\n');
    assert.deepEqual([templates.length, problems], [1, ['line 4: template "{site}/{attribute}" names no device: take {device} or {room} from the topic, or set device=…']]);
  });

  it('the first template that matches wins; + skips, # takes the rest, fixed words must be equal', () => {
    const lines = ['home/{site}/sensors/{room}/{device}/{attribute}', 'home/{site}/+/{room}/{device}/{attribute} unit=W', '{site}/{device}/#'];
    const a = withTemplates(lines, 'home/casa1/sensors/salon/th1/temperature', '21.5').readings[0];
    assert.deepEqual([a.deviceId, a.attribute, a.value, a.unit], ['casa1/salon/th1', 'temperature', 21.5, undefined]);
    const b = withTemplates(lines, 'home/casa1/meters/garage/plug/power', '40');
    assert.deepEqual([b.readings[0].deviceId, b.readings[0].unit, b.template], ['casa1/garage/plug', 'W', lines[1]]);
    const c = withTemplates(lines, 'casa2/boiler/circuit/1/flow/temp', '55').readings[0];
    assert.deepEqual([c.deviceId, c.attribute], ['casa2/boiler', 'circuit.1.flow.temp']);
  });

  it('a 4-level topic still reads as the Octopus format when the default template comes first; a topic no template matches too', () => {
    const lines = ['{site}/{room}/{device}/{attribute}', '{site}/{room}/{attribute}'];
    const plain = withTemplates(lines, 'casa/salon/termo/temperature', '21.5');
    assert.deepEqual([plain.readings[0].deviceId, plain.template], ['casa/salon/termo', undefined]);
    const object = withTemplates(lines, 'casa/salon/termo', '{"temperature":21.5}');
    assert.deepEqual([object.readings[0].deviceId, object.readings[0].attribute, object.template], ['casa/salon/termo', 'temperature', undefined]);
    const five = withTemplates(lines, 'a/b/c/d/e', '1');
    assert.deepEqual(five.rejects.map((r) => r.code), ['topic-depth']);
    // a 3-level topic with a value: the second template, device = room
    const roomOnly = withTemplates(['{site}/{room}/{attribute}'], 'casa/salon/temperature', '21.5').readings[0];
    assert.deepEqual([roomOnly.deviceId, roomOnly.room, roomOnly.device], ['casa/salon/salon', 'salon', 'salon']);
  });

  it('fixed and derived parts: site=, room=, device={room}-th', () => {
    const r = withTemplates(['sensors/{room}/{attribute} site=casa9 device={room}-th'], 'sensors/salon/humidity', '40').readings[0];
    assert.deepEqual([r.deviceId, r.site, r.room, r.device], ['casa9/salon/salon-th', 'casa9', 'salon', 'salon-th']);
  });

  it('value paths: names, indexes, quoted keys, [*]; a path that finds nothing, or a payload that is not JSON, is refused with the reason', () => {
    const t = (path: string, payload: string) => withTemplates([`dev/{device}/{attribute} path=${path}`], 'dev/esp1/temp', payload);
    assert.equal(t('sensor.temp', '{"sensor":{"temp":21}}').readings[0].value, 21);
    assert.equal(t('$.list[1]', '{"list":[5,6,7]}').readings[0].value, 6);
    assert.equal(t("$['a b']", '{"a b":3}').readings[0].value, 3);
    assert.deepEqual(
      t('$.readings[*].v', '{"readings":[{"v":1},{"v":2}]}').readings.map((x) => [x.attribute, x.value]),
      [
        ['temp.0', 1],
        ['temp.1', 2],
      ],
    );
    const missing = t('sensor.temp', '{"sensor":{"hum":40}}');
    assert.deepEqual(missing.rejects.map((x) => x.code), ['value-invalid']);
    assert.match(missing.rejects[0].reason, /no value at "sensor.temp"/);
    assert.match(t('sensor.temp', '21.5').rejects[0].reason, /is not a JSON object or array/);
    assert.match(t('$.list[*]', JSON.stringify({ list: Array.from({ length: 40 }, (_, i) => i) })).rejects[0].reason, /array of 40 elements/);
    // an object at the path with several keys: one reading each, under the attribute
    assert.deepEqual(
      t('sensor', '{"sensor":{"temp":21,"hum":40}}').readings.map((x) => x.attribute),
      ['temp.temp', 'temp.hum'],
    );
    assert.equal(typeof compileValuePath('$'), 'string');
  });

  it('one-key objects with a value word are values; arrays of an object of attributes are channels', () => {
    const one = (payload: string) => parseMessage('casa/salon/termo/temperature', payload, { receivedAt: NOW });
    assert.equal(one('{"val":21}').readings[0].value, 21);
    assert.equal(one('{"reading":21.5}').readings[0].value, 21.5);
    assert.equal(one('{"data":"ok"}').readings[0].value, 'ok');
    assert.deepEqual(one('{"val":21,"other":1}').rejects.map((x) => x.code), ['value-invalid']);
    assert.deepEqual(one('{"temp":21}').rejects.map((x) => x.code), ['value-invalid']);
    const multi = parseMessage('casa/salon/meter', '{"Power":[40,12],"t":{"v":3},"big":' + JSON.stringify(Array(33).fill(1)) + ',"bad":[1,null,{"a":1}]}', { receivedAt: NOW });
    assert.deepEqual(multi.readings.map((x) => [x.attribute, x.value]), [
      ['Power.0', 40],
      ['Power.1', 12],
      ['t', 3],
      ['bad.0', 1],
    ]);
    assert.deepEqual(multi.rejects.map((x) => [x.code, x.attribute]), [
      ['value-invalid', 'big'],
      ['value-invalid', 'bad.1'],
      ['value-invalid', 'bad.2'],
    ]);
  });
});

describe('Tasmota FullTopic and prefixes (issue #17)', () => {
  it('refuses a FullTopic without %prefix% or %topic%, and prefixes that are not three distinct levels', () => {
    assert.match(String(compileFullTopic({ fullTopic: 'home/%topic%/' })), /%prefix% exactly once/);
    assert.match(String(compileFullTopic({ fullTopic: '%prefix%/home/' })), /needs %topic%/);
    assert.match(String(compileFullTopic({ fullTopic: '%prefix%/+/%topic%/' })), /has the level "\+"/);
    assert.match(String(compileFullTopic({ prefixes: { cmnd: 'x', stat: 'x' } })), /must differ/);
    assert.match(String(topicOptionsOf({ tasmotaPrefixes: 'cmnd,stat' })), /give three/);
    assert.deepEqual(topicOptionsOf({ tasmotaFullTopic: '%prefix%/%topic%/', tasmotaPrefixes: 'cmnd,stat,tele' }), {});
  });

  it('%hostname% and %id% name the device like %topic%; a topic of another shape goes on to the markers', () => {
    const options: ParseOptions = { receivedAt: NOW, tasmota: { fullTopic: 'tasmota/%hostname%/%prefix%/' } };
    const r = parseMessage('tasmota/plug-4711/tele/SENSOR', '{"ENERGY":{"Power":12}}', options);
    assert.deepEqual([r.profile, r.readings[0].deviceId, r.readings[0].site], ['tasmota', 'tasmota:tasmota/plug-4711', 'tasmota']);
    assert.equal(parseMessage('tele/other/SENSOR', '{"ENERGY":{"Power":1}}', options).readings[0].deviceId, 'tasmota:other');
  });
});

describe('node settings, "try a message" and the recent messages (issue #17)', () => {
  it('parseOptionsOf: the node\'s settings, each problem in words', () => {
    assert.match(String(parseOptionsOf({ maxPayloadBytes: 'lots' })), /max payload/);
    assert.match(String(parseOptionsOf({ profiles: 'tasmota,zigbee' })), /unknown profile "zigbee"/);
    assert.match(String(parseOptionsOf({ templates: '{site}/{attribute}' })), /topic templates: line 1/);
    const ok = parseOptionsOf({ templates: '/{device}/{sensor}/{attribute}', tasmotaFullTopic: '%topic%/%prefix%/', site: ' casa ' });
    assert.ok(typeof ok === 'object');
    assert.deepEqual([ok.topicTemplates, ok.tasmota, ok.defaultSite], [['/{device}/{sensor}/{attribute}'], { fullTopic: '%topic%/%prefix%/' }, 'casa']);
  });

  it('tryMessage: readings with the given settings, notes of what was not read, 400 with a code for a bad request', () => {
    const ok = tryMessage({ topic: '/ESP_Easy/BME280/Temperature', payload: '21.4', config: { templates: '/{device}/{sensor}/{attribute}' } }, NOW);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.status === 200 ? ok.body.result.readings.map((x) => [x.deviceId, x.attribute, x.value, x.ts]) : [], [['home/ESP_Easy', 'BME280.Temperature', 21.4, NOW]]);
    const without = tryMessage({ topic: '/ESP_Easy/BME280/Temperature', payload: '21.4', config: {} }, NOW);
    assert.deepEqual(without.status === 200 ? without.body.result.rejects.map((x) => x.code) : [], ['topic-empty-level']);
    const bin = tryMessage({ topic: 'casa/salon/termo/t', payload: Buffer.from([0xff, 0xfe]).toString('base64'), base64: true }, NOW);
    assert.deepEqual(bin.status === 200 ? bin.body.result.rejects.map((x) => x.code) : [], ['payload-not-utf8']);
    for (const [body, code] of [
      [null, 'invalid-body'],
      [[], 'invalid-body'],
      [{ payload: '1' }, 'invalid-topic'],
      [{ topic: 'x'.repeat(5000), payload: '1' }, 'invalid-topic'],
      [{ topic: 'a/b/c/d', payload: 1 }, 'invalid-payload'],
      [{ topic: 'a/b/c/d', payload: '1', config: 'x' }, 'invalid-config'],
      [{ topic: 'a/b/c/d', payload: '1', config: { profiles: 'nope' } }, 'invalid-config'],
    ] as const) {
      const a = tryMessage(body);
      assert.deepEqual([a.status, a.status === 400 ? a.body.error.code : ''], [400, code], JSON.stringify(body));
    }
    const lines = resultLines(parseMessage('tele/x/STATE', '{"Time":"2024-01-01T00:00:00","POWER1":"on","Wifi":{"RSSI":"nan"}}', { receivedAt: NOW, explain: true }));
    assert.deepEqual(lines.map((l) => l.trim().split(' ')[0]), ['profile', 'reading', 'reject', 'not']);
  });

  it('RecentMessages keeps the last 50, newest first, payloads cut at 8 KB, bytes as base64', () => {
    const recent = new RecentMessages();
    for (let i = 0; i < 60; i++) recent.add(`t/${i}`, Buffer.from(String(i)), NOW + i);
    const list = recent.list();
    assert.deepEqual([list.length, list[0].topic, list[0].payload, list[49].topic], [50, 't/59', '59', 't/10']);
    recent.add('big', 'x'.repeat(MAX_KEPT_BYTES + 10), NOW);
    recent.add('bin', Buffer.from([0xff, 0x00]), NOW);
    recent.add('obj', { a: 1 }, NOW);
    const [obj, bin, big] = recent.list();
    assert.deepEqual([obj.payload, bin.base64, bin.payload, big.truncated, big.bytes, big.payload.length], ['{"a":1}', true, '/wA=', true, MAX_KEPT_BYTES + 10, MAX_KEPT_BYTES]);
  });

  it('npm run parse -- <topic> <payload> prints what the parser makes of it; exit 1 on a reject, 2 on bad settings', async () => {
    const cli = resolve(__dirname, '..', 'scripts', 'parse.js');
    const ok = await run(process.execPath, [cli, 'tele/shelly25/SENSOR', '{"ENERGY":{"Power":[23.63,67.17]}}']);
    assert.match(ok.stdout, /profile tasmota: 2 readings, 0 rejects/);
    assert.match(ok.stdout, /tasmota:shelly25 {2}ENERGY\.Power\.1 = 67\.17 W/);
    const tpl = await run(process.execPath, [cli, '/esp1/bme280/temperature', '21.5', '--template', '/{device}/{sensor}/{attribute}', '--json']);
    assert.equal((JSON.parse(tpl.stdout) as ParseResult).readings[0].attribute, 'bme280.temperature');
    await assert.rejects(run(process.execPath, [cli, 'casa/salon/termo/t', 'NaN']), (err: { code?: number; stdout?: string }) => err.code === 1 && /value-not-finite/.test(err.stdout ?? ''));
    await assert.rejects(run(process.execPath, [cli, 'a/b/c/d', '1', '--template', '{site}/{attribute}']), (err: { code?: number; stderr?: string }) => err.code === 2 && /names no device/.test(err.stderr ?? ''));
  });
});

describe('fuzz with templates and a FullTopic set (issue #17)', function () {
  this.timeout(60000);
  const OPTIONS: ParseOptions[] = [
    { topicTemplates: ['/{device}/{sensor}/{attribute}', 'home/{site}/+/{room}/{device}/{attribute} path=sensor.temp unit=°C', 'N/{site}/{device}/+/# path=value', '{site}/{room} path=$.readings[*]'] },
    { tasmota: { fullTopic: 'casa1/%prefix%/%topic%/', prefixes: { cmnd: 'command', stat: 'status', tele: 'telemetry' } } },
    ...REAL_MESSAGES.map((m) => m.options).filter((o): o is ParseOptions => o !== undefined),
  ];
  const INSERTS = ['{', '"', '\\', ',', ':', 'nan', '[', ']', '}}', 'null', '\u0000', '[1,2]', '{"val":1}', '[[[[1]]]]', ' ', '1e999'];
  const PIECES = ['', '+', '#', '\u0000', 'tele', 'telemetry', 'casa1', 'N', 'home', 'x'.repeat(200), 'state', 'homeassistant', 'set'];

  it('10,000 mutated real-world messages: no exception, always an answer, storable readings', () => {
    const rand = prng(0x17017);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    for (let i = 0; i < 10000; i++) {
      const seed = pick(REAL_MESSAGES);
      const levels = seed.topic.split('/');
      if (rand() < 0.4) levels[Math.floor(rand() * levels.length)] = pick(PIECES);
      if (rand() < 0.1) levels.unshift('');
      const topic = levels.join('/');
      const payload = mutatePayload(Buffer.from(seed.payload), rand, INSERTS);
      let r: ParseResult;
      try {
        r = parseMessage(topic, payload, { receivedAt: NOW, explain: rand() < 0.3, ...(rand() < 0.7 ? (seed.options ?? pick(OPTIONS)) : pick(OPTIONS)) });
      } catch (err) {
        assert.fail(`threw on ${JSON.stringify(topic)}: ${String(err)}`);
      }
      const what = `${JSON.stringify(topic)} ${JSON.stringify(payload.toString().slice(0, 100))}`;
      const answered = r.readings.length + r.rejects.length + (r.availability?.length ?? 0) + (r.devices?.length ?? 0) + (r.commands?.length ?? 0) + (r.deletions?.length ?? 0) > 0 || r.ignored !== undefined;
      assert.ok(answered, `no answer for ${what}`);
      for (const x of r.rejects) assert.notEqual(x.code, 'parser-error', `${what}: ${x.reason}`);
      for (const x of r.readings) {
        for (const s of [x.deviceId, x.site, x.device, x.attribute]) assert.ok(s.length > 0 && !s.includes('\u0000'), `${what}: ${JSON.stringify(x)}`);
        assert.ok(!/[/+#]/.test(x.attribute), `${what}: attribute ${x.attribute}`);
        if (typeof x.value === 'number') assert.ok(Number.isFinite(x.value), what);
        assert.ok(Number.isInteger(x.ts), what);
      }
    }
  });
});
