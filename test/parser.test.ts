import assert from 'node:assert/strict';
import { mutatePayload, prng } from './support/fuzz';
import { DEFAULT_MAX_PAYLOAD_BYTES, type ParseOptions, type ParseResult, type Reading, type Reject, type RejectCode } from '../lib/model/reading';
import { parseMessage } from '../lib/parser';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const OPT: ParseOptions = { receivedAt: NOW };
const DEVICE = 'oficina/servidores/servidor1';
const TOPIC = `${DEVICE}/temperatura`;

/** Every reject code, checked against the type: adding a code without listing it here fails to compile. */
const ALL_CODES = {
  'topic-empty': true,
  'topic-depth': true,
  'topic-empty-level': true,
  'topic-wildcard': true,
  'topic-invalid-char': true,
  'payload-empty': true,
  'payload-too-large': true,
  'payload-not-utf8': true,
  'payload-invalid-json': true,
  'value-not-finite': true,
  'value-invalid': true,
  'timestamp-invalid': true,
  'attribute-invalid': true,
  'topic-unknown': true,
  'parser-error': true,
  'topic-level-too-long': true,
  'attribute-too-long': true,
  'device-limit': true,
  'attribute-limit': true,
} satisfies Record<RejectCode, true>;

function parse(topic: string, payload: Buffer | string, options: ParseOptions = OPT): ParseResult {
  return parseMessage(topic, payload, options);
}

/** The one reading a message must give, with no reject. */
function one(topic: string, payload: Buffer | string, options: ParseOptions = OPT): Reading {
  const r = parse(topic, payload, options);
  assert.deepEqual(r.rejects, [], `unexpected rejects for ${topic} ${String(payload)}`);
  assert.equal(r.readings.length, 1);
  return r.readings[0];
}

/** The one reject a message must give, with no reading. */
function refused(topic: string, payload: Buffer | string, code: RejectCode, options: ParseOptions = OPT): Reject {
  const r = parse(topic, payload, options);
  assert.deepEqual(r.readings, [], `unexpected readings for ${topic} ${String(payload)}`);
  assert.equal(r.rejects.length, 1, JSON.stringify(r.rejects));
  assert.equal(r.rejects[0].code, code, r.rejects[0].reason);
  assert.ok(r.rejects[0].reason.length > 20);
  return r.rejects[0];
}

function reading(attribute: string, value: Reading['value'], extra: Partial<Reading> = {}, deviceId = DEVICE): Reading {
  const [site, room, device] = deviceId.split('/');
  const r: Reading = { deviceId, site, room, device, attribute, value, ts: NOW, deviceTs: false };
  return { ...r, ...extra };
}

describe('parseMessage', () => {
  describe('topics', () => {
    it('reads the Spanish seed topic into site, room, device and attribute', () => {
      assert.deepEqual(parse(TOPIC, Buffer.from('21.5')), { readings: [reading('temperatura', 21.5)], rejects: [] });
    });

    it('accepts unicode, spaces and emoji in levels', () => {
      assert.deepEqual(one('casa/salón/termo 🌡/temperatura', '20'), reading('temperatura', 20, {}, 'casa/salón/termo 🌡'));
    });

    it('refuses an empty topic', () => {
      const r = refused('', '1', 'topic-empty');
      assert.match(r.reason, /empty topic/);
    });

    it('refuses a missing (non-string) topic', () => {
      refused(undefined as unknown as string, '1', 'topic-empty');
      refused(42 as unknown as string, '1', 'topic-empty');
    });

    for (const [topic, depth] of [
      ['oficina', 1],
      ['oficina/servidores', 2],
      ['a/b/c/d/e', 5],
      [Array.from({ length: 100 }, (_, i) => `l${i}`).join('/'), 100],
    ] as const) {
      it(`refuses depth ${depth}, naming the depth found and expected`, () => {
        const r = refused(topic, '21.5', 'topic-depth');
        assert.match(r.reason, new RegExp(`has ${depth} levels?;`));
        assert.match(r.reason, /expected 4 \(site\/room\/device\/attribute\), or 3 \(site\/room\/device\) with a JSON object/);
      });
    }

    it('refuses depth 3 with a scalar payload: the attribute is missing', () => {
      for (const payload of ['21.5', 'true', 'eco', '"quoted"', '[1,2]']) {
        const r = refused(DEVICE, payload, 'topic-depth');
        assert.match(r.reason, /has 3 levels \(site\/room\/device\), which needs a JSON object of attributes/);
      }
    });

    for (const [topic, level] of [
      ['/b/c/d', '1 (site): leading /'],
      ['a//c/d', '2 (room): two / in a row'],
      ['a/b//d', '3 (device): two / in a row'],
      ['a/b/c/', '4 (attribute): trailing /'],
      ['a/b/c/d/', '5: trailing /'],
      ['/', '1 (site): leading /'],
      ['a/b/c//', '4 (attribute): two / in a row'],
    ] as const) {
      it(`refuses an empty level in ${JSON.stringify(topic)}, naming level ${level.split(':')[0]}`, () => {
        const r = refused(topic, '1', 'topic-empty-level');
        assert.ok(r.reason.includes(`empty level ${level}`), r.reason);
      });
    }

    it('refuses the wildcards + and # in every level', () => {
      for (const w of ['+', '#']) {
        for (let level = 0; level < 4; level++) {
          const levels = ['s', 'r', 'd', 'a'];
          levels[level] = level % 2 ? w : `x${w}y`;
          const r = refused(levels.join('/'), '1', 'topic-wildcard');
          assert.ok(r.reason.includes(`wildcard "${w}" in level ${level + 1}`), r.reason);
        }
      }
    });

    it('refuses control characters and NUL, echoing them escaped', () => {
      for (const [c, label] of [
        ['\u0000', 'NUL character (U+0000)'],
        ['\u0001', 'control character U+0001'],
        ['\n', 'control character U+000A'],
        ['\u007f', 'control character U+007F'],
        ['\u0085', 'control character U+0085'],
      ]) {
        const r = refused(`a/b${c}/c/d`, '1', 'topic-invalid-char');
        assert.ok(r.reason.includes(`${label} in level 2 (room)`), r.reason);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(r.reason, /[\u0000-\u001f\u007f]/);
      }
    });

    it('refuses U+FFFD (bad UTF-8 upstream) and unpaired surrogates in the topic', () => {
      assert.match(refused('a/b/c\ufffd/d', '1', 'topic-invalid-char').reason, /replacement character U\+FFFD .*level 3 \(device\)/);
      assert.match(refused('a/b/c/d\ud800', '1', 'topic-invalid-char').reason, /unpaired surrogate \(U\+D800\) in level 4/);
      assert.match(refused('a/\udc00b/c/d', '1', 'topic-invalid-char').reason, /unpaired surrogate \(U\+DC00\) in level 2/);
    });

    it('reports the first problem by position', () => {
      refused('a/+/c//', '1', 'topic-wildcard');
      refused('a//+/c', '1', 'topic-empty-level');
    });

    it('truncates a long topic echoed in a reason to about 80 characters', () => {
      const topic = `${'x'.repeat(300)}/a/b/c/d`;
      const r = refused(topic, '1', 'topic-depth', { ...OPT, maxLevelBytes: 1000 });
      assert.ok(r.reason.includes(`"${'x'.repeat(80)}…"`), r.reason);
      assert.ok(r.reason.length < 250);
    });
  });

  describe('payload checks', () => {
    it('refuses an empty payload (a retained deletion), Buffer or string', () => {
      assert.match(refused(TOPIC, Buffer.alloc(0), 'payload-empty').reason, /empty retained message/);
      refused(TOPIC, '', 'payload-empty');
      refused(DEVICE, Buffer.alloc(0), 'payload-empty');
    });

    it('refuses a payload of only whitespace', () => {
      assert.match(refused(TOPIC, ' \t\r\n ', 'payload-empty').reason, /only whitespace/);
    });

    it('refuses a payload over a custom limit, in bytes, before decoding', () => {
      const limit: ParseOptions = { receivedAt: NOW, maxPayloadBytes: 10 };
      assert.equal(one(TOPIC, Buffer.from('1234567890'), limit).value, 1234567890);
      assert.match(refused(TOPIC, Buffer.from('12345678901'), 'payload-too-large', limit).reason, /11 bytes, more than the limit of 10/);
      // 6 characters, 12 UTF-8 bytes: the limit counts bytes
      assert.match(refused(TOPIC, '°°°°°°', 'payload-too-large', limit).reason, /12 bytes/);
      // checked before decoding: oversized invalid UTF-8 is "too large", not "not UTF-8"
      refused(TOPIC, Buffer.alloc(11, 0xff), 'payload-too-large', limit);
    });

    it('applies DEFAULT_MAX_PAYLOAD_BYTES when no limit is given or the limit is unusable', () => {
      const big = Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1, 0x61);
      refused(TOPIC, big, 'payload-too-large');
      refused(TOPIC, big, 'payload-too-large', { receivedAt: NOW, maxPayloadBytes: Number.NaN });
      refused(TOPIC, big, 'payload-too-large', { receivedAt: NOW, maxPayloadBytes: -1 });
      assert.equal(one(TOPIC, Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES, 0x61)).value, 'a'.repeat(DEFAULT_MAX_PAYLOAD_BYTES));
    });

    it('refuses invalid UTF-8 (bad bytes, truncated, overlong, encoded surrogates), short and long', () => {
      assert.match(refused(TOPIC, Buffer.from([0xff, 0xfe]), 'payload-not-utf8').reason, /2 bytes\) is not valid UTF-8, starting ff fe/);
      refused(TOPIC, Buffer.from([0x32, 0x31, 0xc2]), 'payload-not-utf8');
      refused(TOPIC, Buffer.from([0xc0, 0xaf]), 'payload-not-utf8');
      refused(TOPIC, Buffer.from([0xed, 0xa0, 0x80]), 'payload-not-utf8');
      const long = Buffer.concat([Buffer.from('{"value":"'), Buffer.alloc(40, 0x61), Buffer.from([0xe9]), Buffer.from('"}')]);
      assert.match(refused(TOPIC, long, 'payload-not-utf8').reason, /starting 7b 22 76 .* …;/);
    });

    it('refuses a string payload with an unpaired surrogate (it has no UTF-8 form)', () => {
      refused(TOPIC, 'abc\ud83d', 'payload-not-utf8');
    });

    it('gives the same result for a Buffer, its string and a Uint8Array', () => {
      for (const text of ['21.5', '{"value":"½ °C","unit":"°C"}', 'ñandú', 'NaN']) {
        const expected = parse(TOPIC, text);
        assert.deepEqual(parse(TOPIC, Buffer.from(text)), expected);
        assert.deepEqual(parse(TOPIC, new Uint8Array(Buffer.from(text)) as unknown as Buffer), expected);
      }
    });

    it('refuses payloads that are neither Buffer nor string without throwing', () => {
      refused(TOPIC, null as unknown as string, 'payload-empty');
      refused(TOPIC, undefined as unknown as string, 'payload-empty');
      assert.match(refused(TOPIC, { value: 1 } as unknown as string, 'value-invalid').reason, /must be a Buffer or a string, not object/);
    });

    it('drops a UTF-8 byte order mark and surrounding whitespace', () => {
      assert.equal(one(TOPIC, Buffer.from([0xef, 0xbb, 0xbf, 0x32, 0x31])).value, 21);
      assert.equal(one(TOPIC, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"value":3}')])).value, 3);
      assert.equal(one(TOPIC, '\t 21.5 \r\n').value, 21.5);
    });
  });

  describe('plain values', () => {
    it('reads decimal numbers', () => {
      const cases: Array<[string, number]> = [
        ['21.5', 21.5],
        ['-3', -3],
        ['+4', 4],
        ['1e3', 1000],
        ['1E-2', 0.01],
        ['-2.5e+2', -250],
        ['.5', 0.5],
        ['5.', 5],
        ['0', 0],
        ['007', 7],
        ['  42  ', 42],
      ];
      for (const [text, value] of cases) assert.deepEqual(one(TOPIC, Buffer.from(text)), reading('temperatura', value), text);
    });

    it('turns -0 into 0', () => {
      assert.ok(Object.is(one(TOPIC, '-0').value, 0));
    });

    it('keeps what is not plain decimal syntax as text', () => {
      for (const text of ['0x1F', '1_000', '21,5', '1e', '-', '.', '12abc', '1.2.3', '--1', '1 2']) {
        assert.equal(one(TOPIC, text).value, text, text);
      }
    });

    it('reads true/false in any case as booleans, keeps on/off as text', () => {
      assert.equal(one(TOPIC, 'true').value, true);
      assert.equal(one(TOPIC, 'false').value, false);
      assert.equal(one(TOPIC, 'True').value, true);
      assert.equal(one(TOPIC, ' FALSE\n').value, false);
      for (const text of ['on', 'off', 'ON', 'OFF', 'yes', 'truee']) assert.equal(one(TOPIC, text).value, text);
    });

    it('refuses NaN, Infinity and numbers beyond a double as value-not-finite', () => {
      for (const text of ['NaN', 'nan', '-nan', 'Infinity', '-Infinity', '+Infinity', 'inf', '-inf', '+inf', 'INF', '1e999', '-1e999']) {
        const r = refused(TOPIC, text, 'value-not-finite');
        assert.ok(r.reason.includes(`"${text}" is not a finite number`), r.reason);
      }
    });

    it('reads any other text as a trimmed string, with unicode intact', () => {
      assert.deepEqual(one(TOPIC, Buffer.from('  eco  ')), reading('temperatura', 'eco'));
      assert.equal(one(TOPIC, 'calefacción encendida ✓').value, 'calefacción encendida ✓');
      assert.equal(one(TOPIC, 'línea 1\nlínea 2').value, 'línea 1\nlínea 2');
    });

    it('refuses the text null and text holding NUL', () => {
      assert.match(refused(TOPIC, 'null', 'value-invalid').reason, /is null/);
      assert.match(refused(TOPIC, Buffer.from('a\u0000b'), 'value-invalid').reason, /NUL character \(U\+0000\)/);
    });

    it('reads a bare JSON string, decoding escapes; refuses a broken one', () => {
      assert.equal(one(TOPIC, '"hello"').value, 'hello');
      assert.equal(one(TOPIC, '"21.5"').value, '21.5');
      assert.equal(one(TOPIC, '"caf\\u00e9"').value, 'café');
      assert.equal(one(TOPIC, '"abc').value, '"abc', 'not wrapped in quotes: plain text');
      refused(TOPIC, '"bad \\x escape"', 'payload-invalid-json');
      refused(TOPIC, '"a\\u0000"', 'value-invalid');
      refused(TOPIC, '""', 'value-invalid');
    });

    it('uses the receive time, or now when none is given', () => {
      const r = one(TOPIC, '1');
      assert.equal(r.ts, NOW);
      assert.equal(r.deviceTs, false);
      const before = Date.now();
      const t = one(TOPIC, '1', {}).ts;
      assert.ok(t >= before && t <= Date.now());
      assert.ok(Math.abs(one(TOPIC, '1', { receivedAt: Number.NaN }).ts - Date.now()) < 1000);
    });
  });

  describe('JSON on site/room/device/attribute', () => {
    it('reads value, unit (°C) and the device timestamp', () => {
      assert.deepEqual(
        parse(TOPIC, Buffer.from('{"value":21.5,"unit":"°C","ts":"2026-11-23T09:59:00Z"}')),
        { readings: [reading('temperatura', 21.5, { unit: '°C', ts: Date.parse('2026-11-23T09:59:00Z'), deviceTs: true })], rejects: [] },
      );
    });

    it('reads boolean and string values, ignores extra keys, trims the unit and drops an empty or null one', () => {
      assert.deepEqual(one(TOPIC, '{"value":true,"quality":"good"}'), reading('temperatura', true));
      assert.deepEqual(one(TOPIC, '{"value":"eco","unit":"  "}'), reading('temperatura', 'eco'));
      assert.deepEqual(one(TOPIC, '{"value":12,"unit":null}'), reading('temperatura', 12));
      assert.deepEqual(one(TOPIC, '{"value":12,"unit":" µg/m³ "}'), reading('temperatura', 12, { unit: 'µg/m³' }));
    });

    it('reads ts as epoch seconds, milliseconds, microseconds and nanoseconds', () => {
      const t = Date.parse('2026-11-23T09:00:00Z');
      assert.equal(one(TOPIC, `{"value":1,"ts":${t / 1000}}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"ts":${t / 1000 + 0.2506}}`).ts, t + 251);
      assert.equal(one(TOPIC, `{"value":1,"ts":${t}}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"ts":${t * 1000}}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"ts":"${t * 1e6}"}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"ts":"${t / 1000}"}`).ts, t, 'digits in a string');
      assert.equal(one(TOPIC, `{"value":1,"ts":${t}}`).deviceTs, true);
    });

    it('reads ISO-8601 with Z, offsets, fractions and a space separator', () => {
      const cases: Array<[string, string]> = [
        ['2026-11-23T09:00:00Z', '2026-11-23T09:00:00.000Z'],
        ['2026-11-23t09:00:00z', '2026-11-23T09:00:00.000Z'],
        ['2026-11-23T10:00:00+01:00', '2026-11-23T09:00:00.000Z'],
        ['2026-11-23T04:00:00-0500', '2026-11-23T09:00:00.000Z'],
        ['2026-11-23T11:00:00+02', '2026-11-23T09:00:00.000Z'],
        ['2026-11-23 09:00:00.123456789Z', '2026-11-23T09:00:00.123Z'],
        ['2026-11-23T09:00Z', '2026-11-23T09:00:00.000Z'],
        ['2024-02-29T09:00:00,5Z', '2024-02-29T09:00:00.500Z'],
      ];
      for (const [iso, expected] of cases) assert.equal(new Date(one(TOPIC, `{"value":1,"ts":"${iso}"}`).ts).toISOString(), expected, iso);
    });

    it('also reads timestamp and time, ts first', () => {
      const t = Date.parse('2026-11-23T08:00:00Z');
      assert.equal(one(TOPIC, `{"value":1,"timestamp":${t}}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"time":"2026-11-23T08:00:00Z"}`).ts, t);
      assert.equal(one(TOPIC, `{"value":1,"time":1,"ts":${t}}`).ts, t);
    });

    it('refuses an invalid timestamp instead of using the receive time', () => {
      const cases: Array<[string, RegExp]> = [
        ['"yesterday"', /"yesterday" is not a time/],
        ['"2026-02-30T00:00:00Z"', /is not a time/],
        ['"2026-11-23T25:00:00Z"', /is not a time/],
        ['"2026-11-23"', /is not a time/],
        ['"2026-11-23T10:00:00"', /has no time zone; add Z \(UTC\) or an offset/],
        ['null', /is null;.*leave it out/],
        ['true', /is boolean true/],
        ['{"s":1}', /is an object/],
        ['0', /is not a time/],
        ['-5', /is not a time/],
        ['12345', /1970-01-01T03:25:45.000Z, before 2000; check the device clock/],
        ['1e25', /is not a time/],
        [`${NOW + 2 * 86400000}`, /more than a day ahead of the receive time/],
      ];
      for (const [ts, reason] of cases) {
        const r = refused(TOPIC, `{"value":1,"ts":${ts}}`, 'timestamp-invalid');
        assert.match(r.reason, reason, ts);
        assert.equal(r.attribute, undefined);
      }
    });

    it('accepts a device clock a little ahead (under a day)', () => {
      assert.equal(one(TOPIC, `{"value":1,"ts":${NOW + 3600000}}`).ts, NOW + 3600000);
    });

    it('refuses an object without a value field, pointing to the 3-level form', () => {
      const r = refused(TOPIC, '{"temperature":21.5,"humidity":40}', 'value-invalid');
      assert.ok(
        r.reason.startsWith('a JSON object on site/room/device/attribute needs a value field; publish several attributes on site/room/device'),
        r.reason,
      );
      refused(TOPIC, '{}', 'value-invalid');
    });

    it('refuses a value that is null, an object or an array, or an empty string', () => {
      assert.match(refused(TOPIC, '{"value":null}', 'value-invalid').reason, /the value is null; a value must be a number, true\/false or text/);
      assert.match(refused(TOPIC, '{"value":{"v":1}}', 'value-invalid').reason, /is an object/);
      assert.match(refused(TOPIC, '{"value":[1,2]}', 'value-invalid').reason, /is an array/);
      assert.match(refused(TOPIC, '{"value":""}', 'value-invalid').reason, /empty string/);
    });

    it('refuses a unit that is not text', () => {
      assert.match(refused(TOPIC, '{"value":1,"unit":5}', 'value-invalid').reason, /unit must be text such as "°C", not number 5/);
    });

    it('refuses NaN in JSON as invalid JSON with a hint, and 1e999 or "NaN" as not finite', () => {
      const r = refused(TOPIC, '{"value": NaN}', 'payload-invalid-json');
      assert.match(r.reason, /JSON has no NaN or Infinity/);
      refused(TOPIC, '{"value": Infinity}', 'payload-invalid-json');
      refused(TOPIC, '{"value": 1e999}', 'value-not-finite');
      refused(TOPIC, '{"value": "NaN"}', 'value-not-finite');
    });

    it('refuses truncated or invalid JSON, echoing it escaped and truncated', () => {
      const r = refused(TOPIC, Buffer.from('{"value":21.'), 'payload-invalid-json');
      assert.match(r.reason, /^the payload looks like JSON but is not valid: .*: "\{\\"value\\":21\."$/);
      refused(TOPIC, '{"value":1', 'payload-invalid-json');
      refused(TOPIC, '{status ok}', 'payload-invalid-json');
      refused(TOPIC, '[1,2', 'payload-invalid-json');
      const long = refused(TOPIC, `{"value":"${'y'.repeat(500)}`, 'payload-invalid-json');
      assert.ok(long.reason.length < 250, long.reason);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(refused(TOPIC, '{"v":"a\u0000b"', 'payload-invalid-json').reason, /[\u0000-\u001f]/);
    });

    it('refuses a JSON array as a value', () => {
      assert.match(refused(TOPIC, '[21.5, 22]', 'value-invalid').reason, /a JSON array is not a reading value/);
    });
  });

  describe('several attributes on site/room/device', () => {
    it('reads one reading per attribute with the common timestamp (the README example)', () => {
      const ts = 1795000000;
      assert.deepEqual(parse(DEVICE, Buffer.from(`{"temperature":21.5,"humidity":{"value":40,"unit":"%"},"ts":${ts}}`)), {
        readings: [
          reading('temperature', 21.5, { ts: ts * 1000, deviceTs: true }),
          reading('humidity', 40, { unit: '%', ts: ts * 1000, deviceTs: true }),
        ],
        rejects: [],
      });
    });

    it('uses the receive time without a timestamp; reads booleans and text', () => {
      assert.deepEqual(parse(DEVICE, '{"on":true,"mode":"eco"}'), {
        readings: [reading('on', true), reading('mode', 'eco')],
        rejects: [],
      });
    });

    it('lets the valid attributes through when one is bad', () => {
      const r = parse(DEVICE, '{"temperature":21.5,"broken":null,"empty":{"unit":"%"},"huge":1e999,"humidity":{"value":40,"unit":"%"}}');
      assert.deepEqual(r.readings, [reading('temperature', 21.5), reading('humidity', 40, { unit: '%' })]);
      assert.deepEqual(
        r.rejects.map((x) => [x.code, x.attribute]),
        [
          ['value-invalid', 'broken'],
          ['value-invalid', 'empty'],
          ['value-not-finite', 'huge'],
        ],
      );
      assert.match(r.rejects[0].reason, /attribute "broken" is null/);
      assert.match(r.rejects[1].reason, /attribute "empty" is an object without a value field/);
    });

    it('refuses attribute names that break the level rules, with a storable attribute', () => {
      const r = parse(DEVICE, JSON.stringify({ '': 1, 'a/b': 2, 'a+b': 3, '#': 4, 'x\u0000y': 5, 'r\ufffd': 6, ok: 7 }));
      assert.deepEqual(r.readings, [reading('ok', 7)]);
      assert.deepEqual(
        r.rejects.map((x) => [x.code, x.attribute]),
        [
          ['attribute-invalid', ''],
          ['attribute-invalid', 'a/b'],
          ['attribute-invalid', 'a+b'],
          ['attribute-invalid', '#'],
          ['attribute-invalid', 'x\ufffdy'],
          ['attribute-invalid', 'r\ufffd'],
        ],
      );
      assert.match(r.rejects[1].reason, /attribute name "a\/b" contains "\/"/);
      assert.match(r.rejects[2].reason, /contains the wildcard "\+"/);
      assert.match(r.rejects[4].reason, /NUL character/);
    });

    it('lets an attribute carry its own timestamp; a bad one refuses only that attribute', () => {
      const common = Date.parse('2026-11-23T09:00:00Z');
      const own = Date.parse('2026-11-23T09:30:00Z');
      const r = parse(DEVICE, `{"ts":${common},"a":1,"b":{"value":2,"time":"2026-11-23T09:30:00Z"},"c":{"value":3,"ts":"soon"}}`);
      assert.deepEqual(r.readings, [reading('a', 1, { ts: common, deviceTs: true }), reading('b', 2, { ts: own, deviceTs: true })]);
      assert.equal(r.rejects.length, 1);
      assert.equal(r.rejects[0].code, 'timestamp-invalid');
      assert.equal(r.rejects[0].attribute, 'c');
      assert.match(r.rejects[0].reason, /timestamp ts of attribute "c" "soon" is not a time/);
    });

    it('refuses the whole message when the common timestamp is invalid', () => {
      refused(DEVICE, '{"a":1,"b":2,"ts":"nope"}', 'timestamp-invalid');
    });

    it('refuses an object with no attributes', () => {
      assert.match(refused(DEVICE, '{}', 'value-invalid').reason, /has no attributes/);
      refused(DEVICE, `{"ts":${NOW}}`, 'value-invalid');
    });

    it('refuses a value field on 3 levels: the attribute level is missing', () => {
      assert.match(refused(DEVICE, '{"value":21.5,"unit":"°C"}', 'topic-depth').reason, /publish it on site\/room\/device\/attribute/);
    });

    it('refuses a top-level unit alone, as ambiguous', () => {
      const r = parse(DEVICE, '{"temperature":21.5,"unit":"°C"}');
      assert.deepEqual(r.readings, [reading('temperature', 21.5)]);
      assert.deepEqual(r.rejects.map((x) => [x.code, x.attribute]), [['value-invalid', 'unit']]);
    });

    it('refuses invalid JSON on 3 levels as invalid JSON', () => {
      refused(DEVICE, '{"temperature":21.5,', 'payload-invalid-json');
    });
  });

  describe('robustness', () => {
    it('has a trigger for every reject code', () => {
      const triggers: Array<[RejectCode, string, Buffer | string, ParseOptions?]> = [
        ['topic-empty', '', '1'],
        ['topic-depth', 'a/b', '1'],
        ['topic-empty-level', 'a//c/d', '1'],
        ['topic-wildcard', 'a/#/c/d', '1'],
        ['topic-invalid-char', 'a/b/c/\u0007', '1'],
        ['payload-empty', TOPIC, ''],
        ['payload-too-large', TOPIC, '123', { maxPayloadBytes: 2 }],
        ['payload-not-utf8', TOPIC, Buffer.from([0xff])],
        ['payload-invalid-json', TOPIC, '{'],
        ['value-not-finite', TOPIC, 'NaN'],
        ['value-invalid', TOPIC, '{"value":null}'],
        ['timestamp-invalid', TOPIC, '{"value":1,"ts":"x"}'],
        ['attribute-invalid', DEVICE, '{"a/b":1}'],
        ['topic-level-too-long', `${'x'.repeat(129)}/r/d/a`, '1'],
        ['attribute-too-long', DEVICE, `{"${'a'.repeat(129)}":1}`],
        ['topic-unknown', TOPIC, '1', { profiles: ['tasmota'] }],
        [
          'parser-error',
          TOPIC,
          '1',
          Object.defineProperty({}, 'maxPayloadBytes', {
            get() {
              throw new Error('boom');
            },
          }),
        ],
      ];
      // device-limit and attribute-limit come from the house bounds after the parser (test/house-bounds.test.ts)
      const parserCodes = Object.keys(ALL_CODES).filter((c) => c !== 'device-limit' && c !== 'attribute-limit');
      assert.deepEqual(triggers.map((t) => t[0]).sort(), parserCodes.sort());
      for (const [code, topic, payload, options] of triggers) refused(topic, payload, code, options ?? OPT);
    });

    it('never throws on 10,000 random and mutated messages, and always answers', () => {
      const rand = prng(0x0c70905);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
      const levelPieces = ['casa', 'salón', 'termo', 'temp', '', '+', '#', 'a b', '\u0000', '\ufffd', '\ud800', '🌡', 'x'.repeat(90), '\n', '$SYS'];
      const seeds = [
        '21.5',
        '-3',
        'true',
        'NaN',
        'eco',
        '"hello"',
        '{"value":21.5,"unit":"°C","ts":"2026-11-23T10:00:00Z"}',
        '{"temperature":21.5,"humidity":{"value":40,"unit":"%"},"ts":1795000000}',
        '{"value":1,"ts":1795000000000}',
        '[1,{"a":[null]}]',
        '{"a":{"value":{"value":1}},"b":{"value":2,"ts":-1},"c/d":3}',
      ];
      const codes = new Set(Object.keys(ALL_CODES));
      const seen = new Set<string>();
      for (let i = 0; i < 10000; i++) {
        const depth = 1 + Math.floor(rand() * 6);
        const levels: string[] = [];
        for (let l = 0; l < depth; l++) levels.push(rand() < 0.8 ? `l${Math.floor(rand() * 5)}` : pick(levelPieces));
        const topic = levels.join('/');
        const bytes = mutatePayload(Buffer.from(pick(seeds)), rand, ['{', '"', '\\', ',', ':', 'NaN', '\u0000', 'é', '1e999', ' '], 40);
        const payload: Buffer | string = rand() < 0.25 ? bytes.toString('utf8') : bytes;
        const options: ParseOptions = { receivedAt: NOW, maxPayloadBytes: rand() < 0.1 ? 8 : undefined };
        let r: ParseResult;
        try {
          r = parseMessage(topic, payload, options);
        } catch (err) {
          assert.fail(`threw on ${JSON.stringify(topic)} ${JSON.stringify(payload.toString())}: ${String(err)}`);
        }
        assert.ok(Array.isArray(r.readings) && Array.isArray(r.rejects));
        assert.ok(r.readings.length + r.rejects.length >= 1);
        for (const x of r.readings) checkReading(x);
        for (const x of r.rejects) {
          assert.ok(codes.has(x.code), x.code);
          assert.notEqual(x.code, 'parser-error', x.reason);
          assert.equal(typeof x.reason, 'string');
          assert.ok(!x.reason.includes('\u0000') && !(x.attribute ?? '').includes('\u0000'));
          seen.add(x.code);
        }
        if (r.readings.length) seen.add('reading');
      }
      // the fuzz did reach both sides
      assert.ok(seen.has('reading') && seen.size >= 10, [...seen].join(' '));
    });
  });
});

function checkReading(x: Reading): void {
  assert.equal(x.deviceId, `${x.site}/${x.room}/${x.device}`);
  for (const s of [x.site, x.room, x.device, x.attribute]) {
    assert.ok(s.length > 0 && !/[/+#]/.test(s) && !s.includes('\u0000'), s);
  }
  assert.ok(['number', 'boolean', 'string'].includes(typeof x.value));
  if (typeof x.value === 'number') assert.ok(Number.isFinite(x.value));
  if (typeof x.value === 'string') assert.ok(x.value.length > 0 && !x.value.includes('\u0000'));
  assert.ok(Number.isInteger(x.ts));
  assert.equal(typeof x.deviceTs, 'boolean');
  if (x.unit !== undefined) assert.ok(typeof x.unit === 'string' && x.unit.length > 0);
}
