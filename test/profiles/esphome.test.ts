/**
 * ESPHome profile, from documented messages. Sources:
 *  [MQTT]   ESPHome docs, "MQTT Client Component" — https://esphome.io/components/mqtt.html (esphome/esphome-docs
 *           components/mqtt.rst): state topic <TOPIC_PREFIX>/<COMPONENT_TYPE>/<COMPONENT_NAME>/state, command topic
 *           …/command, birth/will <TOPIC_PREFIX>/status online/offline, topic_prefix like home/living_room,
 *           log_topic <prefix>/debug, publish_nan_as_none
 *  [SRC]    ESPHome source esphome/components/mqtt/mqtt_component.cpp (get_default_topic_for_: prefix/component/object_id/suffix;
 *           discovery topic <prefix>/<component>/<node>/<object_id>/config), mqtt_sensor.cpp (NaN published as "nan", or
 *           "None" with publish_nan_as_none), mqtt_climate.cpp (mode/state, current_temperature/state),
 *           mqtt_binary_sensor.cpp (ON/OFF) — https://github.com/esphome/esphome/tree/dev/esphome/components/mqtt
 *  [LIGHT]  a-lost-shadow/gosund-sw2 README (ESPHome light state topic {app}/light/{id}/state with {"state":"ON","brightness":255}) —
 *           https://github.com/a-lost-shadow/gosund-sw2
 */
import assert from 'node:assert/strict';
import { createProfileContext } from '../../lib/parser';
import { allOn, codes, onlyEvents, one, parse, values } from './helpers';

describe('profile: ESPHome', () => {
  it('[MQTT] <node>/sensor/<name>/state: a number on esphome:<node>', () => {
    const x = one(parse('livingroom/sensor/temperature/state', '21.4'));
    assert.deepEqual([x.deviceId, x.site, x.device, x.attribute, x.value], ['esphome:livingroom', 'livingroom', 'livingroom', 'temperature', 21.4]);
    // the node name is a prefix in front of the firmware's levels: the site is that first level, not the default (issue #15)
  });

  it('[SRC] a sensor without a reading publishes nan, or None with publish_nan_as_none: refused as not finite', () => {
    assert.deepEqual(codes(parse('weather-station/sensor/temperature/state', 'nan')), [['value-not-finite', 'temperature']]);
    assert.deepEqual(codes(parse('weather-station/sensor/temperature/state', 'None')), [['value-not-finite', 'temperature']]);
  });

  it('[SRC] binary_sensor and switch ON/OFF are booleans', () => {
    assert.equal(one(parse('livingroom/binary_sensor/motion/state', 'ON')).value, true);
    assert.equal(one(parse('livingroom/switch/relay/state', 'OFF')).value, false);
    assert.equal(one(parse('livingroom/text_sensor/wifi_ssid/state', 'MyNetwork')).value, 'MyNetwork');
  });

  it('[MQTT] …/command is a command, never a reading', () => {
    const [c] = onlyEvents(parse('livingroom/switch/relay/command', 'ON'));
    assert.deepEqual([c.kind, c.deviceId, c.kind === 'command' ? c.command : ''], ['command', 'esphome:livingroom', 'switch/relay/command']);
  });

  it('[MQTT] <node>/status online (birth) and offline (last will): availability', () => {
    const [on] = onlyEvents(parse('livingroom/status', 'online'));
    assert.deepEqual([on.kind, on.deviceId, on.kind === 'availability' ? on.state : ''], ['availability', 'esphome:livingroom', 'online']);
    assert.equal(parse('livingroom/status', 'offline').availability?.[0].state, 'offline');
  });

  it('[MQTT] a custom topic_prefix of several levels (home/living_room)', () => {
    const r = parse('home/living_room/sensor/temperature/state', '20.5');
    allOn(r, 'esphome:home/living_room');
  });

  it('[LIGHT] a light state in JSON: one reading per key under the object id', () => {
    assert.deepEqual(values(parse('gosund_sw2/light/gosund_light/state', '{"state":"ON","brightness":255}')), {
      'gosund_light.state': true,
      'gosund_light.brightness': 255,
    });
  });

  it('[SRC] climate sub-states: <object>.<sub>', () => {
    assert.deepEqual([one(parse('thermostat/climate/living_room/mode/state', 'heat')).attribute, one(parse('thermostat/climate/living_room/mode/state', 'heat')).value], [
      'living_room.mode',
      'heat',
    ]);
    assert.equal(one(parse('thermostat/climate/living_room/current_temperature/state', '20.6')).value, 20.6);
  });

  it('[SRC] the unit comes from the node\'s Home Assistant discovery config when the context saw it', () => {
    const ctx = createProfileContext();
    const config = parse(
      'homeassistant/sensor/livingroom/temperature/config',
      '{"dev_cla":"temperature","unit_of_meas":"°C","stat_cla":"measurement","name":"Temperature","stat_t":"livingroom/sensor/temperature/state","avty_t":"livingroom/status","uniq_id":"ESPsensortemperature","dev":{"ids":"246f28a1b2c3","name":"livingroom","sw":"esphome v2024.10.0 Oct 24 2024, 20:02:25","mdl":"esp32dev","mf":"espressif"}}',
      { context: ctx },
    );
    // discovery is linked to the device id ESPHome readings get
    assert.deepEqual(config.devices?.map((d) => [d.deviceId, d.model, d.manufacturer]), [['esphome:livingroom', 'esp32dev', 'espressif']]);
    const x = one(parse('livingroom/sensor/temperature/state', '21.4', { context: ctx }));
    assert.deepEqual([x.deviceId, x.unit], ['esphome:livingroom', '°C']);
  });

  it('[MQTT] the debug log is ignored; an empty state is a deletion', () => {
    assert.match(parse('livingroom/debug', '[D][sensor:093]: \'Temperature\': Sending state 21.40000 °C').ignored ?? '', /log/);
    assert.deepEqual(codes(parse('livingroom/sensor/temperature/state', '')), [['payload-empty', undefined]]);
  });
});
