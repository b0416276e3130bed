/** Which profile reads a topic: markers, the order, overrides, and plain topics never stolen. */
import assert from 'node:assert/strict';
import type { ProfileName } from '../../lib/model/reading';
import { createProfileContext, DEFAULT_PROFILE_ORDER, parseProfileList } from '../../lib/parser';
import { detect, planOf } from '../../lib/parser/detect';
import { codes, parse, values } from './helpers';

function who(topic: string, profiles?: readonly ProfileName[]): ProfileName | undefined {
  return detect(topic, planOf(profiles));
}

describe('profile detection', () => {
  it('the default order: Octopus first, Home Assistant last', () => {
    assert.deepEqual(DEFAULT_PROFILE_ORDER, ['octopus', 'tasmota', 'z2m', 'shelly', 'esphome', 'homie', 'owntracks', 'ha']);
  });

  it('plain site/room/device[/attribute] topics stay Octopus, even with attribute names firmwares use', () => {
    for (const t of [
      'oficina/servidores/servidor1/temperatura',
      'casa/salon/termo',
      'casa/salon/tv/online',
      'casa/salon/lampara/state',
      'casa/salon/lavadora/status',
      'casa/salon/termo/command',
      'a/b/c/d/e',
      'single',
    ]) {
      assert.equal(who(t), 'octopus', t);
    }
    const r = parse('casa/salon/tv/online', 'true');
    assert.equal(r.profile, undefined);
    assert.deepEqual(r.readings.map((x) => [x.deviceId, x.attribute, x.value]), [['casa/salon/tv', 'online', true]]);
  });

  it('first-level markers, decisive over the last levels', () => {
    const cases: Array<[string, ProfileName]> = [
      ['tele/plug/SENSOR', 'tasmota'],
      ['stat/plug/POWER', 'tasmota'],
      ['cmnd/plug/POWER', 'tasmota'],
      ['zigbee2mqtt/Living Room/Lamp', 'z2m'],
      ['zigbee2mqtt/stat/x', 'z2m'],
      ['shellies/shellyplug-s-ABC123/relay/0', 'shelly'],
      ['homie/thermostat-1/$state', 'homie'],
      ['homie/dev/stat/x', 'homie'],
      ['homeassistant/sensor/sensorBedroom/state', 'ha'],
      ['owntracks/jane/phone', 'owntracks'],
    ];
    for (const [t, p] of cases) assert.equal(who(t), p, t);
  });

  it('last-level markers: Tasmota topic-first, Shelly Gen2, ESPHome', () => {
    const cases: Array<[string, ProfileName]> = [
      ['plug-kitchen/tele/SENSOR', 'tasmota'],
      ['tasmota/bedroom/plug/stat/RESULT', 'tasmota'],
      ['shellyplus1pm-441793a3b3c4/status/switch:0', 'shelly'],
      ['shellyplus1pm-441793a3b3c4/status/sys', 'shelly'],
      ['shellyplus1pm-441793a3b3c4/events/rpc', 'shelly'],
      ['shellyplus1pm-441793a3b3c4/online', 'shelly'],
      ['weather-station/sensor/temperature/state', 'esphome'],
      ['home/living_room/binary_sensor/motion/state', 'esphome'],
      ['thermostat/climate/living_room/mode/state', 'esphome'],
      ['weather-station/status', 'esphome'],
    ];
    for (const [t, p] of cases) assert.equal(who(t), p, t);
  });

  it('a list with one profile forces it; a disabled profile\'s markers are not reserved', () => {
    const onlyOctopus = parse('tele/plug/SENSOR', '{"temperature":21.5}', { profiles: ['octopus'] });
    assert.equal(onlyOctopus.profile, undefined);
    assert.deepEqual(onlyOctopus.readings.map((x) => x.deviceId), ['tele/plug/SENSOR']);
    const onlyTasmota = parse('casa/salon/termo/temperature', '21.5', { profiles: ['tasmota'] });
    assert.deepEqual(codes(onlyTasmota), [['topic-unknown', undefined]]);
    assert.match(onlyTasmota.rejects[0].reason, /matches no enabled profile \(enabled: Tasmota\)/);
  });

  it('the order decides between Home Assistant and the profile whose topic it announced', () => {
    const ctx = createProfileContext();
    parse(
      'homeassistant/sensor/0x00158d0001a2b3c4/temperature/config',
      '{"unit_of_measurement":"°C","device_class":"temperature","value_template":"{{ value_json.temperature }}","state_topic":"zigbee2mqtt/0x00158d0001a2b3c4","unique_id":"0x00158d0001a2b3c4_temperature_zigbee2mqtt","device":{"identifiers":["zigbee2mqtt_0x00158d0001a2b3c4"],"name":"0x00158d0001a2b3c4","model":"Aqara temperature, humidity and pressure sensor (WSDCGQ11LM)","manufacturer":"Aqara"}}',
      { context: ctx },
    );
    const z2mFirst = parse('zigbee2mqtt/0x00158d0001a2b3c4', '{"temperature":21.9,"humidity":50.1}', { context: ctx });
    assert.equal(z2mFirst.profile, 'z2m');
    assert.deepEqual(values(z2mFirst), { temperature: 21.9, humidity: 50.1 });
    const haFirst = parse('zigbee2mqtt/0x00158d0001a2b3c4', '{"temperature":21.9,"humidity":50.1}', { context: ctx, profiles: ['ha', 'z2m'] });
    assert.equal(haFirst.profile, 'ha');
    assert.deepEqual(values(haFirst), { temperature: 21.9 });
    // either way the device is the Zigbee2MQTT one
    assert.equal(haFirst.readings[0].deviceId, 'z2m:0x00158d0001a2b3c4');
  });

  it('the profile list from text: order kept, duplicates dropped, unknown names reported', () => {
    assert.deepEqual(parseProfileList('tasmota, octopus,tasmota , Z2M'), { profiles: ['tasmota', 'octopus', 'z2m'], unknown: [] });
    assert.deepEqual(parseProfileList('octopus,zigbee'), { profiles: ['octopus'], unknown: ['zigbee'] });
  });

  it('firmware devices get the configured site', () => {
    const r = parse('tele/plug/SENSOR', '{"AM2301":{"Temperature":24.6}}', { defaultSite: 'oficina' });
    assert.deepEqual(r.readings.map((x) => [x.deviceId, x.site, x.room]), [['tasmota:plug', 'oficina', '']]);
  });
});
