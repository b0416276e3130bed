/**
 * Zigbee2MQTT profile, from documented messages. Sources:
 *  [TOPICS]  Zigbee2MQTT docs, "MQTT Topics and Messages" — https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html
 *            (Koenkk/zigbee2mqtt.io docs/guide/usage/mqtt_topics_and_messages.md)
 *  [AVAIL]   Zigbee2MQTT docs, "Device-Availability" — https://www.zigbee2mqtt.io/guide/configuration/device-availability.html
 *  [EXPOSES] Zigbee2MQTT docs, "Exposes" — https://www.zigbee2mqtt.io/guide/usage/exposes.html
 *  [HAEXT]   Zigbee2MQTT's Home Assistant extension (Koenkk/zigbee2mqtt lib/extension/homeassistant.ts): numeric `energy`
 *            is discovered as device_class energy, state_class total_increasing
 */
import assert from 'node:assert/strict';
import { createProfileContext } from '../../lib/parser';
import { allOn, codes, events, NOW, one, onlyEvents, parse, units, values } from './helpers';

describe('profile: Zigbee2MQTT', () => {
  it('[TOPICS] Xiaomi WSDCGQ01LM state: temperature and humidity with their units', () => {
    const r = parse('zigbee2mqtt/0x00158d0001a2b3c4', '{"temperature": 27.34, "humidity": 44.72}');
    assert.equal(r.profile, 'z2m');
    allOn(r, 'z2m:0x00158d0001a2b3c4');
    assert.deepEqual(values(r), { temperature: 27.34, humidity: 44.72 });
    assert.deepEqual(units(r), { temperature: '°C', humidity: '%' });
  });

  it('[TOPICS] Xiaomi WXKG01LM action and RTCGQ01LM occupancy', () => {
    assert.deepEqual(values(parse('zigbee2mqtt/hall_switch', '{"action": "single"}')), { action: 'single' });
    assert.deepEqual(values(parse('zigbee2mqtt/hall_motion', '{"occupancy": true}')), { occupancy: true });
  });

  it('[TOPICS] IKEA LED1545G12: state ON is a boolean, brightness and color_temp numbers', () => {
    const r = parse('zigbee2mqtt/living_room_bulb', '{"state": "ON", "brightness": 215, "color_temp": 325}');
    assert.deepEqual(values(r), { state: true, brightness: 215, color_temp: 325 });
  });

  it('[TOPICS] a friendly name with / (kitchen/floor_light) is one device', () => {
    const r = parse('zigbee2mqtt/kitchen/floor_light', '{"state":"OFF","brightness":0,"linkquality":87}');
    allOn(r, 'z2m:kitchen/floor_light');
    assert.equal(r.readings[0].device, 'kitchen/floor_light');
    assert.equal(units(r).linkquality, 'lqi');
  });

  it('[AVAIL] …/availability: legacy online/offline and JSON {"state":…}; not readings', () => {
    for (const [payload, state] of [
      ['online', 'online'],
      ['offline', 'offline'],
      ['{"state":"online"}', 'online'],
      ['{"state":"offline"}', 'offline'],
    ] as const) {
      const [e] = onlyEvents(parse('zigbee2mqtt/kitchen/floor_light/availability', payload));
      assert.equal(e.kind, 'availability');
      assert.equal(e.deviceId, 'z2m:kitchen/floor_light');
      assert.equal(e.kind === 'availability' ? e.state : '', state);
    }
  });

  it('[TOPICS] …/set (JSON), …/set/state (plain) and …/get are commands, never readings', () => {
    const set = onlyEvents(parse('zigbee2mqtt/0x0fffffffffffffff/set', '{ "state": "ON" }'));
    assert.deepEqual(set.map((e) => [e.kind, e.deviceId, e.kind === 'command' ? e.command : '']), [['command', 'z2m:0x0fffffffffffffff', 'set']]);
    const plain = parse('zigbee2mqtt/kitchen/floor_light/set/state', 'ON');
    assert.deepEqual(plain.commands?.map((c) => [c.deviceId, c.command, c.value]), [['z2m:kitchen/floor_light', 'set/state', 'ON']]);
    assert.equal(parse('zigbee2mqtt/my_bulb/get', '{"state": ""}').commands?.[0].command, 'get');
  });

  it('[TOPICS] bridge/state is the bridge availability; bridge/logging is not telemetry', () => {
    const [e] = onlyEvents(parse('zigbee2mqtt/bridge/state', 'online'));
    assert.deepEqual([e.kind, e.deviceId], ['availability', 'z2m:bridge']);
    assert.equal(parse('zigbee2mqtt/bridge/state', '{"state":"offline"}').availability?.[0].state, 'offline');
    const log = parse('zigbee2mqtt/bridge/logging', '{"level": "info", "message": "Zigbee: allowing new devices to join."}');
    assert.deepEqual([log.readings, log.rejects, events(log)], [[], [], []]);
    assert.match(log.ignored ?? '', /not telemetry/);
    assert.ok(parse('zigbee2mqtt/bridge/response/permit_join', '{"data":{"value":true},"status":"ok"}').ignored);
  });

  it('[TOPICS][EXPOSES] bridge/devices: metadata per device, and the exposed units are learned', () => {
    const devices = JSON.stringify([
      {
        ieee_address: '0x00158d00018255df',
        type: 'Router',
        network_address: 29159,
        supported: true,
        friendly_name: 'my_plug',
        definition: {
          model: 'ZNCZ02LM',
          vendor: 'Xiaomi',
          description: 'Mi power plug ZigBee',
          options: [],
          exposes: [
            { type: 'switch', features: [{ type: 'binary', name: 'state', property: 'state', value_on: 'ON', value_off: 'OFF', value_toggle: 'TOGGLE', access: 7 }] },
            { type: 'numeric', name: 'power', property: 'power', access: 5, unit: 'W' },
            { type: 'numeric', name: 'voltage', property: 'voltage', access: 5, unit: 'V' },
          ],
        },
        power_source: 'Mains (single phase)',
        date_code: '02-28-2017',
        model_id: 'lumi.plug',
        interviewing: false,
        interview_completed: true,
      },
      {
        ieee_address: '0x90fd9ffffe6494fc',
        type: 'Router',
        supported: true,
        friendly_name: 'my_bulb',
        definition: { model: 'LED1624G9', vendor: 'IKEA', description: 'TRADFRI LED bulb E14/E26/E27 600 lumen, dimmable, color, opal white', exposes: [] },
        software_build_id: '1.3.009',
        model_id: 'TRADFRI bulb E27 CWS opal 600lm',
      },
    ]);
    const ctx = createProfileContext();
    const r = parse('zigbee2mqtt/bridge/devices', devices, { context: ctx });
    const infos = onlyEvents(r);
    assert.deepEqual(
      infos.map((e) => (e.kind === 'device' ? [e.deviceId, e.model, e.manufacturer, e.firmware] : [])),
      [
        ['z2m:my_plug', 'ZNCZ02LM', 'Xiaomi', undefined],
        ['z2m:my_bulb', 'LED1624G9', 'IKEA', '1.3.009'],
      ],
    );
    // the plug's voltage is in V (no default: battery sensors report mV)
    const state = parse('zigbee2mqtt/my_plug', '{"state":"ON","power":12.5,"voltage":231}', { context: ctx });
    assert.deepEqual(units(state), { power: 'W', voltage: 'V' });
    assert.equal(units(parse('zigbee2mqtt/my_plug', '{"voltage":231}')).voltage, undefined, 'not known without the context');
  });

  it('[TOPICS] bridge/event: joins and interviews are metadata, a leave is a deletion; bridge/request is a command', () => {
    const joined = onlyEvents(parse('zigbee2mqtt/bridge/event', '{"type":"device_joined","data":{"friendly_name":"0x90fd9ffffe6494fc","ieee_address":"0x90fd9ffffe6494fc"}}'));
    assert.equal(joined[0].kind, 'device');
    const interview = parse(
      'zigbee2mqtt/bridge/event',
      '{"type":"device_interview","data":{"friendly_name":"0x90fd9ffffe6494fc","status":"successful","ieee_address":"0x90fd9ffffe6494fc","supported":true,"definition":{"model":"LED1624G9","vendor":"IKEA","description":"TRADFRI LED bulb E14/E26/E27 600 lumen, dimmable, color, opal white"}}}',
    );
    assert.equal(interview.devices?.[0].model, 'LED1624G9');
    const leave = onlyEvents(parse('zigbee2mqtt/bridge/event', '{"type":"device_leave","data":{"ieee_address":"0x90fd9ffffe6494fc","friendly_name":"my_bulb"}}'));
    assert.deepEqual([leave[0].kind, leave[0].deviceId], ['deletion', 'z2m:my_bulb']);
    const permit = onlyEvents(parse('zigbee2mqtt/bridge/request/permit_join', '{"value": true, "time": 20}'));
    assert.deepEqual([permit[0].kind, permit[0].kind === 'command' ? permit[0].command : ''], ['command', 'request/permit_join']);
  });

  it('[TOPICS] bridge/info: version and coordinator type', () => {
    const info = onlyEvents(
      parse(
        'zigbee2mqtt/bridge/info',
        '{"version":"1.13.0-dev","commit":"772f6c0","coordinator":{"ieee_address":"0x12345678","type":"zStack30x","meta":{"revision":20190425,"transportrev":2,"product":2,"majorrel":2,"minorrel":7,"maintrel":2}},"network":{"channel":15,"pan_id":5674,"extended_pan_id":[0,11,22]},"log_level":"debug","permit_join":true}',
      ),
    );
    assert.deepEqual(info.map((e) => (e.kind === 'device' ? [e.deviceId, e.firmware, e.model] : [])), [['z2m:bridge', '1.13.0-dev', 'zStack30x']]);
  });

  it('last_seen is the reading time; nulls are skipped; nested objects by path; an empty retained state is a deletion', () => {
    const r = parse('zigbee2mqtt/bathroom', '{"battery":null,"humidity":61.2,"last_seen":"2026-11-23T09:59:30.000Z","color":{"x":0.46,"y":0.41},"update":{"state":"idle"}}');
    assert.deepEqual(values(r), { humidity: 61.2, 'color.x': 0.46, 'color.y': 0.41, 'update.state': 'idle' });
    assert.ok(r.readings.every((x) => x.deviceTs && x.ts === Date.parse('2026-11-23T09:59:30Z')));
    assert.deepEqual(codes(parse('zigbee2mqtt/bathroom', '')), [['payload-empty', undefined]]);
  });

  it('output: attribute — a plain value on zigbee2mqtt/<name>/<attribute>', () => {
    const x = one(parse('zigbee2mqtt/kitchen/sensor/temperature', '21.3'));
    assert.deepEqual([x.deviceId, x.attribute, x.value, x.unit, x.ts], ['z2m:kitchen/sensor', 'temperature', 21.3, '°C', NOW]);
  });

  it('[EXPOSES][HAEXT] bridge/devices: an energy expose in kWh is announced as a total (a counter); power stays a measurement', () => {
    const devices = JSON.stringify([
      {
        ieee_address: '0xa4c138000000beef',
        friendly_name: 'washer_plug',
        definition: {
          model: 'TS011F_plug_1',
          vendor: 'TuYa',
          exposes: [
            { type: 'numeric', name: 'power', property: 'power', access: 5, unit: 'W', description: 'Instantaneous measured power' },
            { type: 'numeric', name: 'energy', property: 'energy', access: 5, unit: 'kWh', description: 'Sum of consumed energy' },
            { type: 'numeric', name: 'energy', property: 'energy_l2', access: 1, unit: '%', description: 'not a total: wrong unit' },
          ],
        },
      },
    ]);
    const [d] = onlyEvents(parse('zigbee2mqtt/bridge/devices', devices, { context: createProfileContext() }));
    assert.ok(d.kind === 'device');
    assert.deepEqual(d.entities?.map((e) => [e.attribute, e.stateClass]), [
      ['power', undefined],
      ['energy', 'total_increasing'],
      ['energy_l2', undefined],
    ]);
  });
});
