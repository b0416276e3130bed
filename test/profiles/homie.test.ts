/**
 * Homie v4 profile, from the convention's own examples. Source:
 *  [HOMIE] The Homie Convention v4.0.0 — https://homieiot.github.io/specification/spec-core-v4_0_0/
 *          (homieiot/convention convention.md at tag v4.0.0): the super-car device ($homie, $name, $nodes,
 *          $implementation, $state), its engine node ($name, $type, $properties) and temperature property
 *          ($name, $settable, $unit, $datatype, $format, value), the kitchen-light power/set command,
 *          $broadcast/alert, the Device Lifecycle states and the Payloads rules (no NaN, case-sensitive booleans).
 */
import assert from 'node:assert/strict';
import { createProfileContext } from '../../lib/parser';
import { codes, onlyEvents, one, parse } from './helpers';

describe('profile: Homie v4', () => {
  it('[HOMIE] homie/super-car/$state: every lifecycle state, with the word kept', () => {
    for (const [word, state] of [
      ['init', 'other'],
      ['ready', 'online'],
      ['disconnected', 'offline'],
      ['sleeping', 'other'],
      ['lost', 'offline'],
      ['alert', 'other'],
    ] as const) {
      const [e] = onlyEvents(parse('homie/super-car/$state', word));
      assert.deepEqual(e.kind === 'availability' ? [e.deviceId, e.state, e.native] : [], ['homie:super-car', state, word]);
    }
    assert.deepEqual(codes(parse('homie/super-car/$state', 'READY')), [['value-invalid', undefined]]);
  });

  it('[HOMIE] device attributes: $name, $implementation, $nodes are metadata; $homie is ignored', () => {
    assert.equal(onlyEvents(parse('homie/super-car/$name', 'Super car')).map((e) => (e.kind === 'device' ? e.name : ''))[0], 'Super car');
    assert.equal(parse('homie/super-car/$implementation', 'esp8266').devices?.[0].hardware, 'esp8266');
    assert.deepEqual(
      parse('homie/super-car/$nodes', 'wheels,engine,lights').devices?.[0].entities?.map((e) => e.attribute),
      ['wheels', 'engine', 'lights'],
    );
    assert.ok(parse('homie/super-car/$homie', '4.0.0').ignored);
  });

  it('[HOMIE] node attributes: $name, $type and $properties', () => {
    assert.deepEqual(parse('homie/super-car/engine/$name', 'Car engine').devices?.[0].entities, [{ attribute: 'engine', name: 'Car engine' }]);
    assert.deepEqual(parse('homie/super-car/engine/$type', 'V8').devices?.[0].entities, [{ attribute: 'engine', component: 'V8' }]);
    assert.deepEqual(
      parse('homie/super-car/engine/$properties', 'speed,direction,temperature').devices?.[0].entities?.map((e) => e.attribute),
      ['engine.speed', 'engine.direction', 'engine.temperature'],
    );
  });

  it('[HOMIE] property metadata is remembered: the value gets its unit and datatype', () => {
    const ctx = createProfileContext();
    for (const [attr, v] of [
      ['$name', 'Engine temperature'],
      ['$settable', 'false'],
      ['$unit', '°C'],
      ['$datatype', 'float'],
      ['$format', '-20:120'],
    ]) {
      parse(`homie/super-car/engine/temperature/${attr}`, v, { context: ctx });
    }
    const x = one(parse('homie/super-car/engine/temperature', '21.5', { context: ctx }));
    assert.deepEqual([x.deviceId, x.attribute, x.value, x.unit], ['homie:super-car', 'engine.temperature', 21.5, '°C']);
    // "NaN" is not a valid float payload
    assert.deepEqual(codes(parse('homie/super-car/engine/temperature', 'NaN', { context: ctx })), [['value-not-finite', 'engine.temperature']]);
    // without the context: typed by syntax, no unit
    assert.equal(one(parse('homie/super-car/engine/temperature', '21.5')).unit, undefined);
  });

  it('[HOMIE] datatypes: boolean is case-sensitive, enum and string stay text', () => {
    const ctx = createProfileContext();
    parse('homie/kitchen-light/light/power/$datatype', 'boolean', { context: ctx });
    assert.equal(one(parse('homie/kitchen-light/light/power', 'true', { context: ctx })).value, true);
    assert.deepEqual(codes(parse('homie/kitchen-light/light/power', 'TRUE', { context: ctx })), [['value-invalid', 'light.power']]);
    parse('homie/super-car/lights/mode/$datatype', 'enum', { context: ctx });
    assert.equal(one(parse('homie/super-car/lights/mode', '1', { context: ctx })).value, '1');
  });

  it('[HOMIE] …/set is a command (homie/kitchen-light/light/power/set ← "true")', () => {
    const [c] = onlyEvents(parse('homie/kitchen-light/light/power/set', 'true'));
    assert.deepEqual([c.kind, c.deviceId, c.kind === 'command' ? c.command : '', c.kind === 'command' ? c.value : ''], [
      'command',
      'homie:kitchen-light',
      'light/power/set',
      'true',
    ]);
  });

  it('[HOMIE] homie/$broadcast/alert is ignored, not a device', () => {
    const r = parse('homie/$broadcast/alert', 'Intruder detected');
    assert.deepEqual([r.readings, r.rejects], [[], []]);
    assert.ok(r.ignored);
  });

  it('[HOMIE] removing a device: an empty $homie is a deletion, other emptied attributes are ignored', () => {
    const [d] = onlyEvents(parse('homie/super-car/$homie', ''));
    assert.deepEqual([d.kind, d.deviceId], ['deletion', 'homie:super-car']);
    assert.ok(parse('homie/super-car/$name', '').ignored);
    assert.deepEqual(codes(parse('homie/super-car/engine/temperature', '')), [['payload-empty', 'engine.temperature']]);
  });
});
