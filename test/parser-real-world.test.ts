/**
 * Issue #17: real messages from real installations (test/support/real-world-messages.ts, each with
 * its source) that the parser refused or misread before: multi-channel arrays, Tasmota with a
 * changed FullTopic or prefixes, topics that are not four levels, values under another key, Home
 * Assistant default state topics without a config, switch words as text, empty command payloads.
 * Each message is checked for what it must give, value by value.
 */
import assert from 'node:assert/strict';
import type { ParseResult, Reading } from '../lib/model/reading';
import { REAL_MESSAGES, type RealMessage } from './support/real-world-messages';
import { events, NOW, parse, units, values } from './profiles/helpers';

function read(m: RealMessage): ParseResult {
  return parse(m.topic, m.payload, m.options);
}

/** The message of the corpus with this topic and payload start (so each test names what it reads). */
function msg(topic: string, payloadStart = ''): RealMessage {
  const m = REAL_MESSAGES.find((x) => x.topic === topic && x.payload.startsWith(payloadStart));
  if (!m) throw new Error(`no corpus message ${topic} ${payloadStart}`);
  return m;
}

function ids(r: ParseResult): string[] {
  return [...new Set(r.readings.map((x) => x.deviceId))];
}

function only(r: ParseResult): Reading {
  assert.deepEqual(r.rejects, [], JSON.stringify(r.rejects));
  assert.equal(r.readings.length, 1, JSON.stringify(r.readings));
  return r.readings[0];
}

describe('real-world messages (issue #17)', () => {
  it('the corpus has at least 40 messages, every one with a source, covering every class', () => {
    assert.ok(REAL_MESSAGES.length >= 40, `${REAL_MESSAGES.length} messages`);
    const kinds = new Set(REAL_MESSAGES.map((m) => m.kind));
    assert.deepEqual([...kinds].sort(), ['array', 'empty-command', 'fulltopic', 'ha-default', 'switch-word', 'template', 'wrapped']);
    for (const m of REAL_MESSAGES) assert.match(m.source, /^[A-Z0-9]+$/);
    const fullTopics = new Set(REAL_MESSAGES.filter((m) => m.kind === 'fulltopic').map((m) => m.options?.tasmota));
    assert.ok(fullTopics.size >= 3, 'three Tasmota FullTopic variants');
    const shapes = new Set(REAL_MESSAGES.filter((m) => m.kind === 'template').map((m) => m.topic.split('/').length));
    assert.ok(shapes.size >= 3, `three non-4-level topic shapes: ${[...shapes].join(', ')}`);
  });

  it('every message gives what it carries: none is refused, none left without an answer', () => {
    for (const m of REAL_MESSAGES) {
      const r = read(m);
      assert.deepEqual(r.rejects, [], `${m.topic}: ${JSON.stringify(r.rejects)}`);
      assert.ok(r.readings.length > 0 || events(r).length > 0 || r.ignored !== undefined, `${m.topic} gave nothing`);
    }
  });

  describe('multi-channel arrays: one reading per channel, <name>.<i>, with the unit of the array', () => {
    it('[T6160] Shelly 2.5 on Tasmota: Power, ApparentPower, Current per channel; scalars as before', () => {
      const r = read(msg('tele/shelly25/SENSOR'));
      const v = values(r);
      assert.deepEqual([v['ENERGY.Power.0'], v['ENERGY.Power.1'], v['ENERGY.Current.0'], v['ENERGY.Current.1']], [23.63, 67.17, 0.103, 0.293]);
      assert.deepEqual([v['ENERGY.ApparentPower.1'], v['ENERGY.ReactivePower.0'], v['ENERGY.Factor.1'], v['ENERGY.Voltage'], v['ENERGY.Total']], [67.17, 0, 1, 229.3, 3.262]);
      assert.deepEqual([v.Switch1, v.Switch2, v['ANALOG.Temperature']], [false, false, 52.5]);
      const u = units(r);
      assert.deepEqual([u['ENERGY.Power.0'], u['ENERGY.Power.1'], u['ENERGY.Current.1'], u['ENERGY.ApparentPower.0'], u['ENERGY.Voltage']], ['W', 'W', 'A', 'VA', 'V']);
      assert.equal(r.readings.length, 18);
      assert.ok(r.readings.every((x) => x.deviceId === 'tasmota:shelly25' && x.ts === NOW));
    });

    it('[EVCC5732] Status 8 of a Shelly 2.5 feeding a balcony plant: 7 W on channel 0, 149 VA apparent', () => {
      const v = values(read(msg('stat/shelly25-pv/STATUS8')));
      assert.deepEqual([v['ENERGY.Power.0'], v['ENERGY.Power.1'], v['ENERGY.ApparentPower.0'], v['ENERGY.Frequency'], v.Switch1], [7, 0, 149, 50, true]);
    });

    it('[EVCC18879] a three-phase meter: three voltages, currents and frequencies', () => {
      const r = read(msg('stat/pzem3phase/STATUS10'));
      const v = values(r);
      assert.deepEqual([0, 1, 2].map((i) => v[`ENERGY.Voltage.${i}`]), [230, 230, 230]);
      assert.deepEqual([0, 1, 2].map((i) => v[`ENERGY.Current.${i}`]), [0.022, 0, 0]);
      assert.deepEqual([0, 1, 2].map((i) => units(r)[`ENERGY.Frequency.${i}`]), ['Hz', 'Hz', 'Hz']);
      assert.equal(r.readings.length, 24);
    });

    it('[TLIGHT] a light\'s colour channels', () => {
      const v = values(read(msg('stat/rgb-strip/RESULT')));
      assert.deepEqual([v['Channel.0'], v['Channel.1'], v['Channel.2'], v.POWER, v.Dimmer], [100, 50, 0, true, 100]);
    });
  });

  describe('Tasmota with the FullTopic and prefixes it was given', () => {
    it('[TMQTT] %topic%/%prefix%/: SENSOR readings, LWT availability, STATE power', () => {
      assert.deepEqual(values(read(msg('sonoff-pow/tele/SENSOR'))), { 'ENERGY.Total': 6.294, 'ENERGY.Power': 2635, 'ENERGY.Voltage': 227 });
      const [lwt] = events(read(msg('sonoff-pow/tele/LWT')));
      assert.deepEqual(lwt.kind === 'availability' ? [lwt.deviceId, lwt.state] : [], ['tasmota:sonoff-pow', 'online']);
      const state = read(msg('sonoff-pow/tele/STATE'));
      assert.deepEqual([values(state).POWER, ids(state)], [true, ['tasmota:sonoff-pow']]);
    });

    it('[TMQTT] a site in front (casa1/%prefix%/%topic%/): read as Tasmota, filed under that site', () => {
      const r = read(msg('casa1/tele/plug1/SENSOR'));
      assert.equal(r.profile, 'tasmota');
      assert.deepEqual(values(r), { 'ENERGY.Total': 12.5, 'ENERGY.Power': 40, 'ENERGY.Voltage': 231 });
      assert.ok(r.readings.every((x) => x.site === 'casa1' && x.deviceId === 'tasmota:casa1/plug1'));
      const [lwt] = events(read(msg('casa1/tele/plug1/LWT')));
      assert.deepEqual(lwt.kind === 'availability' ? [lwt.deviceId, lwt.site, lwt.state] : [], ['tasmota:casa1/plug1', 'casa1', 'offline']);
      assert.deepEqual([only(read(msg('casa1/stat/plug1/POWER'))).value], [true]);
      // without the setting the same topic is not Tasmota's: refused as an Octopus object without the attribute level
      assert.notEqual(parse('casa1/tele/plug1/SENSOR', msg('casa1/tele/plug1/SENSOR').payload).profile, 'tasmota');
    });

    it('[TMQTT] renamed prefixes (command, status, telemetry): the default site, commands still commands', () => {
      const r = read(msg('telemetry/plug2/SENSOR'));
      assert.deepEqual(values(r), { 'AM2301.Temperature': 21.4, 'AM2301.Humidity': 48.1 });
      assert.ok(r.readings.every((x) => x.site === 'home' && x.deviceId === 'tasmota:plug2'));
      assert.equal(events(read(msg('telemetry/plug2/LWT')))[0].kind, 'availability');
      assert.equal(values(read(msg('telemetry/plug2/STATE'))).POWER, false);
      const cmd = read(msg('command/plug2/POWER'));
      assert.deepEqual([cmd.readings, cmd.commands?.map((c) => [c.deviceId, c.command, c.value])], [[], [['tasmota:plug2', 'POWER', 'TOGGLE']]]);
    });

    it('[TMQTT] fixed levels after the prefix (%prefix%/home/cellar/%topic%/): the device is the topic alone', () => {
      const r = read(msg('tele/home/cellar/pump/SENSOR'));
      assert.deepEqual([values(r), ids(r)], [{ 'DS18B20.Temperature': 11.2 }, ['tasmota:pump']]);
    });
  });

  describe('topics that are not site/room/device/attribute, read by topic templates', () => {
    it('[ESPEASY] /%sysname%/%tskname%/%valname% with its leading /: the task is part of the attribute', () => {
      const t = only(read(msg('/ESP_Easy/BME280/Temperature')));
      assert.deepEqual([t.deviceId, t.site, t.room, t.device, t.attribute, t.value], ['home/ESP_Easy', 'home', '', 'ESP_Easy', 'BME280.Temperature', 21.37]);
      assert.equal(only(read(msg('/ESP_Easy/BME280/Humidity'))).value, 45.2);
      const b = only(read(msg('/home/bathroom/analog/brightness')));
      assert.deepEqual([b.deviceId, b.attribute, b.value], ['home/bathroom/bathroom', 'analog.brightness', 290]);
      assert.equal(read(msg('/home/bathroom/analog/brightness')).template, '/{site}/{room}/{sensor}/{attribute}');
    });

    it('[RTL433] rtl_433/devices/<model>/<channel>/<id>/<field> (7 levels, two skipped) and rtl_433/<id>/<field>', () => {
      const t = only(read(msg('rtl_433/devices/Acurite-Tower/A/2753/temperature_C')));
      assert.deepEqual([t.deviceId, t.room, t.attribute, t.value], ['home/garden/2753', 'garden', 'temperature_C', 21.4]);
      assert.equal(only(read(msg('rtl_433/devices/Acurite-Tower/A/2753/humidity'))).value, 45);
      const b = only(read(msg('rtl_433/2753/battery_ok')));
      assert.deepEqual([b.deviceId, b.attribute, b.value], ['home/2753', 'battery_ok', 1]);
    });
  });

  describe('values under another key or nested: a template\'s value path', () => {
    it('[IOB] ioBroker state objects: the value is "val", the rest is the adapter\'s bookkeeping', () => {
      const r = read(msg('mqtt/0/Ankleide_Licht/brightness'));
      const x = only(r);
      assert.deepEqual([x.deviceId, x.attribute, x.value], ['home/Ankleide_Licht', 'brightness', 0]);
      assert.equal(only(read(msg('mqtt/0/Ankleide_Licht/rgb'))).value, '#000000');
    });

    it('[VICTRON] a Victron GX: {"value": …} on N/<portal>/<service>/<instance>/<path…>, the D-Bus path as the attribute', () => {
      const soc = only(read(msg('N/e0ff50a097c0/system/0/Dc/Battery/Soc')));
      assert.deepEqual([soc.deviceId, soc.site, soc.attribute, soc.value], ['e0ff50a097c0/system', 'e0ff50a097c0', 'Dc.Battery.Soc', 75.5]);
      const volt = only(read(msg('N/e0ff50a097c0/battery/256/Dc/0/Voltage')));
      assert.deepEqual([volt.deviceId, volt.attribute, volt.value], ['e0ff50a097c0/battery', 'Dc.0.Voltage', 12.58]);
    });

    it('[AJSON] ArduinoJson\'s gps example: path data, an array of two coordinates', () => {
      const r = read(msg('arduino/gps'));
      assert.deepEqual(values(r), { 'data.0': 48.75608, 'data.1': 2.302038 });
      assert.deepEqual(ids(r), ['home/gps']);
    });
  });

  describe('Home Assistant default state topics, no discovery config seen', () => {
    it('[HAMQTT] binary_sensor and switch states are booleans on the object\'s device', () => {
      const g = only(read(msg('homeassistant/binary_sensor/garden/state')));
      assert.deepEqual([g.deviceId, g.attribute, g.value], ['ha:garden', 'garden', true]);
      assert.equal(only(read(msg('homeassistant/switch/irrigation/state'))).value, false);
    });

    it('[HAMQTT][MITEMP] a JSON state with several values: one reading each, named under the object', () => {
      assert.deepEqual(values(read(msg('homeassistant/sensor/sensorBedroom/state'))), { 'sensorBedroom.temperature': 23.2, 'sensorBedroom.humidity': 43.7 });
      assert.deepEqual(values(read(msg('homeassistant/sensor/kitchen/state'))), { 'kitchen.temperature': 21.8, 'kitchen.humidity': 54, 'kitchen.voltage': 2.958, 'kitchen.batteryLevel': 86 });
    });

    it('[HAMQTT] …/set is a command, never a reading', () => {
      const r = read(msg('homeassistant/switch/irrigation/set', 'ON'));
      assert.deepEqual([r.readings, r.commands?.map((c) => [c.deviceId, c.command, c.value])], [[], [['ha:irrigation', 'switch/irrigation', 'ON']]]);
    });
  });

  it('[TCMD] switch words as text (StateText, "true") on switch attributes are booleans', () => {
    assert.deepEqual(values(read(msg('stat/tasmota/RESULT', '{"POWER1"'))), { POWER1: true });
    assert.deepEqual(values(read(msg('tele/tasmota/STATE'))), { POWER1: true, POWER2: false, 'Wifi.RSSI': 60 });
    assert.equal(only(read(msg('stat/tasmota/POWER'))).value, false);
    assert.deepEqual(values(read(msg('stat/tasmota/RESULT', '{"POWER":'))), { POWER: false });
    // on other attributes the text is kept: a mode named "off" is not a switch state
    assert.deepEqual(values(parse('tele/thermostat/SENSOR', '{"Time":"2024-03-01T08:00:00","Mode":"off","Fan":"on"}')), { Mode: 'off', Fan: 'on' });
  });

  it('empty payloads on command topics of every firmware: ignored with the reason, never a command', () => {
    for (const m of REAL_MESSAGES.filter((x) => x.kind === 'empty-command')) {
      const r = read(m);
      assert.deepEqual([r.readings, r.rejects, r.commands], [[], [], undefined], m.topic);
      assert.match(r.ignored ?? '', /empty payload.*not forwarded as a command/, m.topic);
      // the same topic with a payload is a command
      assert.equal(parse(m.topic, 'ON', m.options).commands?.length, 1, m.topic);
    }
  });
});
