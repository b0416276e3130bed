/**
 * Shelly profile, from documented messages. Sources:
 *  [GEN1]   Shelly Gen1 API docs, MQTT sections (Shelly Plug S, Shelly H&T, Shelly EM, announce) —
 *           https://shelly-api-docs.shelly.cloud/gen1/#shelly-plug-plugs-mqtt, …/gen1/#shelly-h-amp-t-mqtt,
 *           …/gen1/#shelly-em-mqtt; topics and units as mirrored by the ioBroker.shelly device definitions
 *           (https://github.com/iobroker-community-adapters/ioBroker.shelly src/lib/devices/gen1/shellyplugs.ts,
 *           shellyht.ts, shellyem.ts: relay/0/energy divided by 60 into Wh)
 *  [PLUGS]  thinger.io "Shelly Plug S" integration page (device id shellyplug-s-C18B12, relay/0 and relay/0/power topics) —
 *           https://docs.thinger.io/business-features/products/examples/shelly-plug-s
 *  [SWITCH] Shelly Gen2 API docs, Switch component status example — https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch#status
 *  [NOTIFY] Shelly Gen2 API docs, Notifications (NotifyStatus, NotifyEvent, <shelly-id>/events/rpc) —
 *           https://shelly-api-docs.shelly.cloud/gen2/General/Notifications
 *  [MQTT2]  Shelly Gen2 API docs, MQTT component (<topic_prefix>/status/<component:id>, <topic_prefix>/online) —
 *           https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt
 *  [GIST]   Home Assistant configs for a Shelly Plus 1PM (state_topic shellies/shellyplus1pm-XXXX/status/switch:0, rpc
 *           commands) — https://gist.github.com/arfoll/3094d66ce5ff1e6b4f202579eb80d801,
 *           https://gist.github.com/lordneon/140d47cd09e34d2737ad98290483a558
 */
import assert from 'node:assert/strict';
import { allOn, codes, onlyEvents, one, parse, units, values } from './helpers';

const PLUG = 'shellies/shellyplug-s-C18B12';

describe('profile: Shelly', () => {
  it('[PLUGS] Gen1 relay/0: on/off as a boolean; relay/0/power in W', () => {
    const on = one(parse(`${PLUG}/relay/0`, 'on'));
    assert.deepEqual([on.deviceId, on.device, on.attribute, on.value], ['shelly:shellyplug-s-C18B12', 'shellyplug-s-C18B12', 'relay.0', true]);
    assert.equal(one(parse(`${PLUG}/relay/0`, 'off')).value, false);
    const power = one(parse(`${PLUG}/relay/0/power`, '42.5'));
    assert.deepEqual([power.attribute, power.value, power.unit], ['relay.0.power', 42.5, 'W']);
  });

  it('[GEN1] relay/0/energy is in watt-minutes: converted to Wh, and the conversion is stated', () => {
    const e = one(parse(`${PLUG}/relay/0/energy`, '4533'));
    assert.deepEqual([e.attribute, e.value, e.unit, e.converted], ['relay.0.energy', 75.55, 'Wh', 'Wmin → Wh (÷60)']);
  });

  it('[GEN1] Shelly EM: emeter energy (Wmin → Wh) and total (already Wh), power, voltage, pf', () => {
    const em = 'shellies/shellyem-B9F7E1';
    assert.deepEqual([one(parse(`${em}/emeter/0/energy`, '600')).value, one(parse(`${em}/emeter/0/energy`, '600')).unit], [10, 'Wh']);
    assert.equal(one(parse(`${em}/emeter/0/returned_energy`, '120')).converted, 'Wmin → Wh (÷60)');
    const total = one(parse(`${em}/emeter/0/total`, '1234.5'));
    assert.deepEqual([total.value, total.unit, total.converted], [1234.5, 'Wh', undefined]);
    assert.equal(one(parse(`${em}/emeter/0/power`, '-12.34')).unit, 'W');
    assert.equal(one(parse(`${em}/emeter/0/voltage`, '231.2')).unit, 'V');
    assert.equal(one(parse(`${em}/emeter/0/pf`, '0.98')).unit, undefined);
  });

  it('[GEN1] Shelly H&T sensor topics; the device temperature topics in °C and °F', () => {
    const ht = 'shellies/shellyht-6FE1B3';
    assert.deepEqual([one(parse(`${ht}/sensor/humidity`, '57.5')).unit, one(parse(`${ht}/sensor/battery`, '98')).unit], ['%', '%']);
    const t = one(parse(`${ht}/sensor/temperature`, '21.75'));
    assert.deepEqual([t.attribute, t.value, t.unit], ['sensor.temperature', 21.75, undefined]); // °C or °F as configured
    assert.equal(one(parse(`${PLUG}/temperature`, '34.71')).unit, '°C');
    assert.equal(one(parse(`${PLUG}/temperature_f`, '94.48')).unit, '°F');
    assert.equal(one(parse(`${PLUG}/overtemperature`, '0')).value, 0);
  });

  it('[GEN1] online true/false is availability; relay/0/command is a command', () => {
    const [e] = onlyEvents(parse(`${PLUG}/online`, 'true'));
    assert.deepEqual([e.kind, e.deviceId, e.kind === 'availability' ? e.state : ''], ['availability', 'shelly:shellyplug-s-C18B12', 'online']);
    assert.equal(parse(`${PLUG}/online`, 'false').availability?.[0].state, 'offline');
    const [c] = onlyEvents(parse(`${PLUG}/relay/0/command`, 'toggle'));
    assert.deepEqual([c.kind, c.kind === 'command' ? c.command : '', c.kind === 'command' ? c.value : ''], ['command', 'relay/0/command', 'toggle']);
    assert.equal(parse('shellies/command', 'announce').commands?.[0].command, 'command');
  });

  it('[GEN1] shellies/announce is device metadata; input_event JSON gives readings', () => {
    const [d] = onlyEvents(
      parse('shellies/announce', '{"id":"shellyplug-s-C18B12","model":"SHPLG-S","mac":"A4CF12C18B12","ip":"192.168.1.54","new_fw":false,"fw_ver":"20201124-091217/v1.9.0@57ac4ad8"}'),
    );
    assert.deepEqual(d.kind === 'device' ? [d.deviceId, d.model, d.mac, d.ip, d.firmware] : [], [
      'shelly:shellyplug-s-C18B12',
      'SHPLG-S',
      'A4CF12C18B12',
      '192.168.1.54',
      '20201124-091217/v1.9.0@57ac4ad8',
    ]);
    assert.deepEqual(values(parse('shellies/shellyix3-98CDAC1F03DF/input_event/0', '{"event":"S","event_cnt":2}')), { 'input_event.0.event': 'S', 'input_event.0.event_cnt': 2 });
    assert.ok(parse(`${PLUG}/info`, '{"wifi_sta":{"connected":true}}').ignored);
  });

  it('[SWITCH][MQTT2] Gen2 <id>/status/switch:0: one reading per leaf, ":" kept in the name, energy in Wh', () => {
    const r = parse(
      'shellyplus1pm-441793a3b3c4/status/switch:0',
      '{"id":0,"source":"timer","output":false,"timer_started_at":1626942399.36,"timer_duration":60,"apower":0,"voltage":237.571,"aenergy":{"total":14.093,"by_minute":[0,0,0],"minute_ts":1626942420},"temperature":{"tC":45.4,"tF":113.7}}',
    );
    assert.equal(r.profile, 'shelly');
    allOn(r, 'shelly:shellyplus1pm-441793a3b3c4', 'shellyplus1pm-441793a3b3c4');
    assert.deepEqual(values(r), {
      'switch:0.output': false,
      'switch:0.timer_duration': 60,
      'switch:0.apower': 0,
      'switch:0.voltage': 237.571,
      'switch:0.aenergy.total': 14.093,
      'switch:0.temperature.tC': 45.4,
      'switch:0.temperature.tF': 113.7,
    });
    assert.deepEqual(units(r), {
      'switch:0.apower': 'W',
      'switch:0.voltage': 'V',
      'switch:0.aenergy.total': 'Wh',
      'switch:0.temperature.tC': '°C',
      'switch:0.temperature.tF': '°F',
    });
  });

  it('[NOTIFY] Gen2 events/rpc NotifyStatus: readings at the notification time; NotifyEvent: events as text', () => {
    const r = parse(
      'shellyplus1pm-441793a3b3c4/events/rpc',
      '{"src":"shellyplus1pm-441793a3b3c4","dst":"shellyplus1pm-441793a3b3c4/events","method":"NotifyStatus","params":{"ts":1795427990.12,"switch:0":{"id":0,"apower":12.3,"current":0.06}}}',
    );
    assert.deepEqual(values(r), { 'switch:0.apower': 12.3, 'switch:0.current': 0.06 });
    assert.ok(r.readings.every((x) => x.deviceTs && x.ts === 1795427990120));
    const ev = parse(
      'shellyplusi4-c4d8d5570de4/events/rpc',
      '{"src":"shellyplusi4-c4d8d5570de4","dst":"shellyplusi4-c4d8d5570de4/events","method":"NotifyEvent","params":{"ts":1795427991.5,"events":[{"component":"input:0","id":0,"event":"single_push","ts":1795427991.5}]}}',
    );
    assert.deepEqual(values(ev), { 'input:0.event': 'single_push' });
  });

  it('[MQTT2][GIST] Gen2 online is availability; rpc and command are commands; a shellies/ prefix works too', () => {
    assert.equal(onlyEvents(parse('shellyplus1pm-441793a3b3c4/online', 'false'))[0].deviceId, 'shelly:shellyplus1pm-441793a3b3c4');
    const rpc = onlyEvents(parse('shellyplus1-a8032ab1b2c4/rpc', '{"id": 1, "src":"homeassistant", "method": "Switch.Set", "params": {"id": 0, "on": true} }'));
    assert.equal(rpc[0].kind, 'command');
    assert.equal(parse('shellyplus1pm-441793a3b3c4/command/switch:0', 'on').commands?.[0].command, 'command/switch:0');
    const custom = parse('shellies/shellyplus1pm-XXXX/status/switch:0', '{"id":0,"source":"init","output":true,"apower":8.2}');
    allOn(custom, 'shelly:shellyplus1pm-XXXX');
    assert.equal(values(custom)['switch:0.output'], true);
  });

  it('hostile: nan on a power topic is refused, an empty payload is a deletion, truncated JSON is invalid', () => {
    assert.deepEqual(codes(parse(`${PLUG}/relay/0/power`, 'nan')), [['value-not-finite', 'relay.0.power']]);
    assert.deepEqual(codes(parse(`${PLUG}/relay/0`, '')), [['payload-empty', undefined]]);
    assert.deepEqual(codes(parse('shellyplus1pm-441793a3b3c4/status/switch:0', '{"id":0,"apower":')), [['payload-invalid-json', undefined]]);
  });
});
