/**
 * Home Assistant MQTT discovery profile, from documented messages. Sources:
 *  [DISC]   Home Assistant docs, "MQTT — MQTT Discovery" examples — https://www.home-assistant.io/integrations/mqtt/#discovery-examples-with-component-discovery
 *           (home-assistant/home-assistant.io source/_integrations/mqtt.markdown): garden motion binary_sensor
 *           (config, ON/OFF state, deletion by an empty config), sensorBedroomT/H with a shared state topic and
 *           value templates, the irrigation switch with "~" and abbreviations
 *  [DEVICE] Home Assistant core tests, device-based discovery (TEST_DEVICE_CONFIG, homeassistant/device/0AFFD2/config) —
 *           https://github.com/home-assistant/core/blob/dev/tests/components/mqtt/test_discovery.py
 *  [TASMO]  Tasmota's own discovery configs as logged in arendst/Tasmota#9436 (homeassistant/sensor/11DA0C_ATC-a9fcf0_Temperature/config,
 *           val_tpl {{value_json['ATC-a9fcf0']['Temperature']}}) — https://github.com/arendst/Tasmota/issues/9436
 *  [GLOW]   Hildebrand Glow CAD smart-meter export config as published to homeassistant/sensor/smart_meter_electricity_export<MAC>/config
 *           (state_class total_increasing, kWh) — https://gist.github.com/si458/2a9ec8d0e2b07205e4859886cc5222b0 ; the state
 *           classes are HA's sensor ones (https://www.home-assistant.io/integrations/sensor.mqtt/ `state_class`,
 *           https://developers.home-assistant.io/docs/core/entity/sensor/#available-state-classes)
 */
import assert from 'node:assert/strict';
import { createProfileContext } from '../../lib/parser';
import type { ParseOptions } from '../../lib/model/reading';
import { codes, onlyEvents, one, parse, units, values } from './helpers';
import { parseValueTemplate } from '../../lib/parser/profiles/ha';
import { AnnouncedClasses, classOfStateClass } from '../../lib/energy/announced-class';

function withContext(): ParseOptions {
  return { context: createProfileContext() };
}

const GARDEN_CONFIG =
  '{"name": null, "device_class": "motion", "state_topic": "homeassistant/binary_sensor/garden/state", "unique_id": "motion01ad", "device": {"identifiers": ["01ad"], "name": "Garden" }}';

describe('profile: Home Assistant discovery', () => {
  it('[DISC] the garden motion sensor: config → device event, ON/OFF → booleans, empty config → deletion', () => {
    const o = withContext();
    const [d] = onlyEvents(parse('homeassistant/binary_sensor/garden/config', GARDEN_CONFIG, o));
    assert.deepEqual(d.kind === 'device' ? [d.deviceId, d.name, d.entities?.[0].deviceClass, d.entities?.[0].uniqueId] : [], ['ha:01ad', 'Garden', 'motion', 'motion01ad']);
    const on = one(parse('homeassistant/binary_sensor/garden/state', 'ON', o));
    assert.deepEqual([on.deviceId, on.attribute, on.value], ['ha:01ad', 'garden', true]);
    assert.equal(one(parse('homeassistant/binary_sensor/garden/state', 'OFF', o)).value, false);
    const [del] = onlyEvents(parse('homeassistant/binary_sensor/garden/config', '', o));
    assert.deepEqual(del.kind === 'deletion' ? [del.deviceId, del.entity] : [], ['ha:01ad', 'motion01ad']);
    // once removed, the state topic is no longer announced: read by HA's default naming (issue #17), on the object's own device
    const after = one(parse('homeassistant/binary_sensor/garden/state', 'ON', o));
    assert.deepEqual([after.deviceId, after.attribute, after.value], ['ha:garden', 'garden', true]);
  });

  it('[DISC] sensorBedroom: two configs share one state topic; value_json paths pick each value, with its unit', () => {
    const o = withContext();
    parse(
      'homeassistant/sensor/sensorBedroomT/config',
      '{"device_class":"temperature","state_topic":"homeassistant/sensor/sensorBedroom/state","unit_of_measurement":"°C","value_template":"{{ value_json.temperature}}","unique_id":"temp01ae","device":{"identifiers":["bedroom01ae"],"name":"Bedroom","manufacturer":"Example sensors Ltd.","model":"Example Sensor","model_id":"K9","serial_number":"12AE3010545","hw_version":"1.01a","sw_version":"2024.1.0","configuration_url":"https://example.com/sensor_portal/config"}}',
      o,
    );
    const h = parse(
      'homeassistant/sensor/sensorBedroomH/config',
      '{"device_class":"humidity","state_topic":"homeassistant/sensor/sensorBedroom/state","unit_of_measurement":"%","value_template":"{{ value_json.humidity}}","unique_id":"hum01ae","device":{"identifiers":["bedroom01ae"]}}',
      o,
    );
    assert.equal(h.devices?.[0].deviceId, 'ha:bedroom01ae');
    const r = parse('homeassistant/sensor/sensorBedroom/state', '{ "temperature": 23.20, "humidity": 43.70 }', o);
    assert.deepEqual(values(r), { temperature: 23.2, humidity: 43.7 });
    assert.deepEqual(units(r), { temperature: '°C', humidity: '%' });
    assert.ok(r.readings.every((x) => x.deviceId === 'ha:bedroom01ae'));
  });

  it('[DISC] the irrigation switch with ~ and abbreviations: state and command topics expanded', () => {
    const o = withContext();
    const [d] = onlyEvents(parse('homeassistant/switch/irrigation/config', '{"~": "homeassistant/switch/irrigation", "name": "garden", "cmd_t": "~/set", "stat_t": "~/state"}', o));
    assert.deepEqual(d.kind === 'device' ? [d.entities?.[0].stateTopic, d.entities?.[0].commandTopic] : [], ['homeassistant/switch/irrigation/state', 'homeassistant/switch/irrigation/set']);
    assert.equal(one(parse('homeassistant/switch/irrigation/state', 'ON', o)).value, true);
    const [c] = onlyEvents(parse('homeassistant/switch/irrigation/set', 'ON', o));
    assert.deepEqual([c.kind, c.kind === 'command' ? c.value : ''], ['command', 'ON']);
  });

  it('[DEVICE] device-based discovery: each component of cmps is registered', () => {
    const o = withContext();
    const config = JSON.stringify({
      device: { identifiers: ['0AFFD2'], name: 'test_device' },
      o: { name: 'Foo2Mqtt', sw: '1.50.0', url: 'https://www.foo2mqtt.io' },
      cmps: {
        bla1: { platform: 'device_automation', automation_type: 'trigger', payload: 'short_press', topic: 'foobar/triggers/button1', type: 'button_short_press', subtype: 'button_1' },
        bla2: { platform: 'sensor', state_topic: 'foobar/sensors/bla2/state', unique_id: 'bla002', name: 'mqtt_sensor' },
        bla3: { platform: 'tag', topic: 'foobar/tags/bla3/see' },
      },
    });
    const [d] = onlyEvents(parse('homeassistant/device/0AFFD2/config', config, o));
    assert.deepEqual(d.kind === 'device' ? [d.deviceId, d.name, d.entities?.map((e) => e.attribute)] : [], ['ha:0AFFD2', 'test_device', ['bla1', 'bla2', 'bla3']]);
    const x = one(parse('foobar/sensors/bla2/state', '12.5', o));
    // the state topic lies in the tree of house "foobar": its readings are filed there, on a device inside it (issue #15)
    assert.deepEqual([x.deviceId, x.site, x.attribute, x.value], ['ha:foobar/0AFFD2', 'foobar', 'bla2', 12.5]);
  });

  it('[TASMO] Tasmota\'s discovery is linked to the Tasmota device; its SENSOR is read by the Tasmota profile under the same name', () => {
    const o = withContext();
    const [d] = onlyEvents(
      parse(
        'homeassistant/sensor/11DA0C_ATC-a9fcf0_Temperature/config',
        '{"name":"Tasmota ATC-a9fcf0 Temperature","stat_t":"tele/tasmota_11DA0C/SENSOR","avty_t":"tele/tasmota_11DA0C/LWT","pl_avail":"Online","pl_not_avail":"Offline","uniq_id":"11DA0C_ATC-a9fcf0_Temperature","dev":{"ids":["11DA0C"]},"unit_of_meas":"°C","dev_cla":"temperature","frc_upd":true,"val_tpl":"{{value_json[\'ATC-a9fcf0\'][\'Temperature\']}}"}',
        o,
      ),
    );
    assert.deepEqual(d.kind === 'device' ? [d.deviceId, d.entities?.[0].attribute, d.entities?.[0].unit] : [], ['tasmota:tasmota_11DA0C', 'ATC-a9fcf0.Temperature', '°C']);
    const r = parse('tele/tasmota_11DA0C/SENSOR', '{"Time":"2020-10-05T16:46:52","ATC-a9fcf0":{"Temperature":21.3,"Humidity":55.1},"TempUnit":"C"}', o);
    assert.equal(r.profile, 'tasmota');
    assert.equal(values(r)['ATC-a9fcf0.Temperature'], 21.3);
    assert.equal(r.readings[0].deviceId, 'tasmota:tasmota_11DA0C');
    // with Home Assistant ordered first, the announced topic is read through the discovery config
    const haFirst = parse('tele/tasmota_11DA0C/SENSOR', '{"ATC-a9fcf0":{"Temperature":21.3}}', { ...o, profiles: ['ha', 'tasmota', 'octopus'] });
    assert.deepEqual([haFirst.profile, haFirst.readings[0].attribute, haFirst.readings[0].unit], ['ha', 'ATC-a9fcf0.Temperature', '°C']);
    assert.equal(parse('tele/tasmota_11DA0C/LWT', 'Offline', { ...o, profiles: ['ha', 'tasmota'] }).availability?.[0].state, 'offline');
  });

  it('homeassistant/status is ignored; a state before its config, and templates the parser does not evaluate, are refused', () => {
    assert.ok(parse('homeassistant/status', 'online').ignored);
    // a state before its config follows HA's default naming: read as the object's state (issue #17)
    const early = one(parse('homeassistant/sensor/sensorBedroom/state', '{"temperature":23.2}', withContext()));
    assert.deepEqual([early.deviceId, early.attribute, early.value], ['ha:sensorBedroom', 'sensorBedroom.temperature', 23.2]);
    const o = withContext();
    parse('homeassistant/sensor/watt/config', '{"stat_t":"EspSparsnasGateway/abc/state","val_tpl":"{{ float(value_json.watt) | round(0) }}","unit_of_meas":"W"}', o);
    assert.deepEqual(codes(parse('EspSparsnasGateway/abc/state', '{"watt":1200}', o)), [['value-invalid', 'watt']]);
  });

  it('value templates: the simple forms are read, filters applied', () => {
    assert.deepEqual(parseValueTemplate('{{ value }}'), { kind: 'raw' });
    assert.deepEqual(parseValueTemplate("{{value_json['ENERGY']['Total']}}"), { kind: 'path', path: ['ENERGY', 'Total'], filters: [] });
    assert.deepEqual(parseValueTemplate('{{ value_json.temperature | float | round(1) }}'), {
      kind: 'path',
      path: ['temperature'],
      filters: [{ name: 'float' }, { name: 'round', digits: 1 }],
    });
    assert.equal(parseValueTemplate('{% if value_json.output %}on{% endif %}').kind, 'unsupported');
  });

  it('the context belongs to one parser: another context knows nothing of the first\'s discovery', () => {
    const a = withContext();
    const b = withContext();
    parse('homeassistant/binary_sensor/garden/config', GARDEN_CONFIG, a);
    assert.equal(one(parse('homeassistant/binary_sensor/garden/state', 'ON', a)).value, true);
    // b saw no config: it reads the topic by HA's default naming, on the object's own device, not a's ha:01ad
    assert.equal(one(parse('homeassistant/binary_sensor/garden/state', 'ON', b)).deviceId, 'ha:garden');
  });

  it('[GLOW] state_class (and its abbreviation stat_cla) travels on the entity; total_increasing and total are counters, measurement a measurement', () => {
    const o = withContext();
    const glow =
      '{"name":"Smart Meter Electricity: Export","unique_id":"smart_meter_electricity_export","state_topic":"glow/0123456789AB/SENSOR/electricitymeter","device_class":"energy","unit_of_measurement":"kWh","state_class":"total_increasing","value_template":"{{ value_json[\'electricitymeter\'][\'energy\'][\'export\'][\'cumulative\'] }}","icon":"mdi:flash","device":{"identifiers":"Smart Electricity Meter via CAD","name":"smart_electricty_meter_0123456789AB","model":"Smart Electricity Meter via CAD","manufacturer":"Hildebrand"}}';
    const [d] = onlyEvents(parse('homeassistant/sensor/smart_meter_electricity_export0123456789AB/config', glow, o));
    assert.ok(d.kind === 'device');
    assert.deepEqual(d.entities?.map((e) => [e.attribute, e.unit, e.deviceClass, e.stateClass]), [['electricitymeter.energy.export.cumulative', 'kWh', 'energy', 'total_increasing']]);
    // the readings are unchanged by it; their state topic lies in house "glow", so they are filed inside it
    const r = one(parse('glow/0123456789AB/SENSOR/electricitymeter', '{"electricitymeter":{"energy":{"export":{"cumulative":12.345}}}}', o));
    assert.deepEqual([r.deviceId, r.attribute, r.value, r.unit], ['ha:glow/Smart Electricity Meter via CAD', 'electricitymeter.energy.export.cumulative', 12.345, 'kWh']);

    // the same as abbreviated discovery writes it, for a power sensor: stat_cla measurement
    const [p] = onlyEvents(parse('homeassistant/sensor/cad_power/config', '{"stat_t":"glow/0123456789AB/SENSOR/power","unit_of_meas":"W","dev_cla":"power","stat_cla":"measurement","dev":{"ids":["cad"]}}', o));
    assert.equal(p.kind === 'device' ? p.entities?.[0].stateClass : undefined, 'measurement');

    assert.deepEqual(['total_increasing', 'total', 'measurement', 'MEASUREMENT', 'bogus', undefined].map(classOfStateClass), ['counter', 'counter', 'measurement', 'measurement', undefined, undefined]);
    // the class is kept for the device the readings are filed under; announced once, written once:
    // an unchanged re-announcement (a retained config on reconnect) queues nothing
    const announced = new AnnouncedClasses();
    announced.observe(d);
    announced.observe(p);
    const rows = announced.take();
    assert.deepEqual(rows.map((x) => [x.deviceId, x.attribute, x.class]), [
      [r.deviceId, 'electricitymeter.energy.export.cumulative', 'counter'],
      ['ha:glow/cad', 'cad_power', 'measurement'],
    ]);
    announced.markWritten(rows);
    announced.observe(d);
    assert.equal(announced.size, 0);
  });
});
