/**
 * Tasmota profile, from documented messages. Sources:
 *  [MQTT]   Tasmota docs, "MQTT" — https://tasmota.github.io/docs/MQTT/ (tasmota/docs docs/MQTT.md)
 *  [POW]    Tasmota docs, "Sonoff Pow R2" — https://tasmota.github.io/docs/devices/Sonoff-Pow-R2/ (docs/devices/Sonoff-Pow-R2.md)
 *  [AM2301] Tasmota docs, "AM2301" — https://tasmota.github.io/docs/AM2301/ (docs/AM2301.md)
 *  [DS18]   Tasmota docs, "DS18x20" — https://tasmota.github.io/docs/DS18x20/ (docs/DS18x20.md)
 *  [RULES]  Tasmota docs, "Rules" — https://tasmota.github.io/docs/Rules/ (docs/Rules.md, DS18B20 example)
 *  [ADC]    Tasmota docs, "ADC" — https://tasmota.github.io/docs/ADC/ (docs/ADC.md, tele/tasmota/STATE with Vcc)
 *  [SLEEP]  Tasmota docs, "DeepSleep" — https://tasmota.github.io/docs/DeepSleep/ (docs/DeepSleep.md, Time with offset)
 *  [TUYA]   Tasmota docs, "TuyaMCU" — https://tasmota.github.io/docs/TuyaMCU/ (docs/TuyaMCU.md, stat/GD-30W/STATE)
 *  [IOB]    ioBroker.sonoff test fixtures — https://github.com/ioBroker/ioBroker.sonoff/blob/master/test/testServer.js
 *  [NAN]    arendst/Tasmota#4147 "Invalid JSON if Sensor (DHT11) is not connected" and ioBroker/ioBroker.sonoff#65
 */
import assert from 'node:assert/strict';
import { codes, events, NOW, one, onlyEvents, parse, units, values, allOn } from './helpers';

describe('profile: Tasmota', () => {
  it('[POW] tele/pow1/SENSOR: the ENERGY object, with units; the zone-less Time is not an instant', () => {
    const r = parse(
      'tele/pow1/SENSOR',
      '{"Time":"2018-02-15T17:37:10","ENERGY":{"TotalStartTime":"2018-11-14T18:39:40","Total":6.294,"Yesterday":5.340,"Today":0.954,"Period":217,"Power":2635,"ApparentPower":2650,"ReactivePower":282,"Factor":0.99,"Voltage":227,"Current":11.661}}',
    );
    assert.equal(r.profile, 'tasmota');
    assert.deepEqual(r.rejects, []);
    allOn(r, 'tasmota:pow1');
    assert.deepEqual(values(r), {
      'ENERGY.Total': 6.294,
      'ENERGY.Yesterday': 5.34,
      'ENERGY.Today': 0.954,
      'ENERGY.Period': 217,
      'ENERGY.Power': 2635,
      'ENERGY.ApparentPower': 2650,
      'ENERGY.ReactivePower': 282,
      'ENERGY.Factor': 0.99,
      'ENERGY.Voltage': 227,
      'ENERGY.Current': 11.661,
    });
    assert.deepEqual(units(r), {
      'ENERGY.Total': 'kWh',
      'ENERGY.Yesterday': 'kWh',
      'ENERGY.Today': 'kWh',
      'ENERGY.Period': 'Wh',
      'ENERGY.Power': 'W',
      'ENERGY.ApparentPower': 'VA',
      'ENERGY.ReactivePower': 'var',
      'ENERGY.Voltage': 'V',
      'ENERGY.Current': 'A',
    });
    assert.ok(r.readings.every((x) => x.ts === NOW && !x.deviceTs));
  });

  it('[AM2301] tele/<topic>/SENSOR with an AM2301: temperature in TempUnit, humidity in %', () => {
    const r = parse('tele/tasmota/SENSOR', '{"Time":"2019-01-01T00:00:00","AM2301":{"Temperature":24.6,"Humidity":58.2},"TempUnit":"C"}');
    assert.deepEqual(values(r), { 'AM2301.Temperature': 24.6, 'AM2301.Humidity': 58.2 });
    assert.deepEqual(units(r), { 'AM2301.Temperature': '°C', 'AM2301.Humidity': '%' });
  });

  it('[DS18] three DS18B20-n sensors: one reading each, the Id is not a reading', () => {
    const r = parse(
      'tele/tasmota_5F1FD6/SENSOR',
      '{"Time":"2021-01-02T09:09:44","DS18B20-1":{"Id":"00000566CC39","Temperature":13.3},"DS18B20-2":{"Id":"0000059352D4","Temperature":1.2},"DS18B20-3":{"Id":"000005937C90","Temperature":22.5},"TempUnit":"C"}',
    );
    assert.deepEqual(values(r), { 'DS18B20-1.Temperature': 13.3, 'DS18B20-2.Temperature': 1.2, 'DS18B20-3.Temperature': 22.5 });
    assert.equal(units(r)['DS18B20-2.Temperature'], '°C');
  });

  it('[IOB][NAN] bare nan inside the JSON refuses those values alone; the other sensors come through', () => {
    const r = parse(
      'tele/nan/SENSOR',
      '{"Time":"2018-10-31T11:57:31","SI7021-00":{"Temperature":17.1,"Humidity":70.0},"SI7021-02":{"Temperature":nan,"Humidity":nan},"SI7021-04":{"Temperature":10.0,"Humidity":59.7},"SI7021-05":{"Temperature":8.8,"Humidity":79.3},"TempUnit":"C"}',
    );
    assert.equal(values(r)['SI7021-04.Temperature'], 10);
    assert.equal(r.readings.length, 6);
    assert.deepEqual(codes(r), [
      ['value-not-finite', 'SI7021-02.Temperature'],
      ['value-not-finite', 'SI7021-02.Humidity'],
    ]);
    assert.match(r.rejects[0].reason, /bare nan/);
    // arendst/Tasmota#4147: the whole sensor failed
    const dht = parse('tele/tasmota/SENSOR', '{"Time":"2018-10-23T23:47:58","DHT11":{"Temperature":nan,"Humidity":nan},"TempUnit":"C"}');
    assert.deepEqual(dht.readings, []);
    assert.deepEqual(codes(dht).map((c) => c[0]), ['value-not-finite', 'value-not-finite']);
  });

  it('[ADC] tele/tasmota/STATE: uptime, heap, Vcc, POWER as a boolean, Wifi signal; identifiers left out', () => {
    const r = parse(
      'tele/tasmota/STATE',
      '{"Time":"2019-10-31T11:14:59","Uptime":"0T18:36:12","UptimeSec":66972,"Vcc":3.423,"Heap":28,"SleepMode":"Dynamic","Sleep":50,"LoadAvg":19,"MqttCount":6,"POWER":"OFF","Wifi":{"AP":1,"SSId":"Tasmota","BSSId":"00:00:00:00:00:00","Channel":13,"RSSI":100,"LinkCount":1,"Downtime":"0T00:00:06"}}',
    );
    const v = values(r);
    assert.equal(v.UptimeSec, 66972);
    assert.equal(v.Vcc, 3.423);
    assert.equal(v.POWER, false);
    assert.equal(v['Wifi.RSSI'], 100);
    assert.equal(v.SleepMode, 'Dynamic');
    for (const gone of ['Time', 'Uptime', 'Wifi.SSId', 'Wifi.BSSId', 'Wifi.Downtime']) assert.ok(!(gone in v), gone);
    assert.deepEqual([units(r).UptimeSec, units(r).Vcc, units(r).Heap], ['s', 'V', 'kB']);
  });

  it('[SLEEP] a Time with an offset is the device time', () => {
    const r = parse(
      'tele/demo-sensor/STATE',
      '{"Time":"2021-06-27T15:03:44+02:00","Uptime":"0T00:00:13","UptimeSec":13,"Heap":28,"SleepMode":"Dynamic","Sleep":50,"LoadAvg":19,"MqttCount":1,"POWER":"ON","Wifi":{"AP":1,"SSId":"DEMOAP","BSSId":"XX:XX:XX:XX:XX:XX","Channel":1,"Mode":"11n","RSSI":86,"Signal":-57,"LinkCount":1,"Downtime":"0T00:00:07"}}',
    );
    assert.ok(r.readings.every((x) => x.deviceTs && x.ts === Date.parse('2021-06-27T13:03:44Z')));
    assert.equal(values(r).POWER, true);
    assert.equal(units(r)['Wifi.Signal'], 'dBm');
  });

  it('[TUYA] stat/GD-30W/STATE: POWER1…POWER5 and the dimmer', () => {
    const r = parse(
      'stat/GD-30W/STATE',
      '{"Time":"2019-10-25T19:54:18","Uptime":"0T01:45:51","UptimeSec":6351,"Heap":27,"SleepMode":"Dynamic","Sleep":0,"LoadAvg":999,"MqttCount":1,"POWER1":"ON","POWER2":"OFF","POWER3":"ON","POWER4":"OFF","POWER5":"ON","Dimmer":100,"Fade":"OFF","Speed":1,"LedTable":"OFF","Wifi":{"AP":1,"SSId":"HTPC","BSSId":"50:64:2B:5B:41:59","Channel":10,"RSSI":24,"LinkCount":1,"Downtime":"0T00:00:08"}}',
    );
    const v = values(r);
    assert.deepEqual([v.POWER1, v.POWER2, v.POWER5, v.Dimmer], [true, false, true, 100]);
    allOn(r, 'tasmota:GD-30W');
  });

  it('[MQTT] command flow: cmnd is a command (an empty payload is ignored, never forwarded: issue #17), stat/RESULT and stat/POWER are readings', () => {
    const query = parse('cmnd/tasmota_switch/Power', '');
    assert.deepEqual([query.readings, query.rejects, query.commands], [[], [], undefined]);
    assert.match(query.ignored ?? '', /empty payload.*not forwarded as a command/);
    const toggle = parse('cmnd/tasmota_switch/Power', 'TOGGLE');
    assert.equal(toggle.commands?.[0].value, 'TOGGLE');
    assert.deepEqual(toggle.readings, []);
    assert.deepEqual(values(parse('stat/tasmota_switch/RESULT', '{"POWER":"ON"}')), { POWER: true });
    const power = one(parse('stat/tasmota_switch/POWER', 'OFF'));
    assert.deepEqual([power.deviceId, power.attribute, power.value], ['tasmota:tasmota_switch', 'POWER', false]);
    assert.equal(one(parse('stat/tasmota/POWER4', 'ON')).attribute, 'POWER4');
    assert.equal(one(parse('tele/tasmota/POWER_LOW', 'ON')).value, true);
  });

  it('[MQTT] tele/<topic>/LWT Online / Offline: availability only, not a reject', () => {
    const on = onlyEvents(parse('tele/tasmota_XXXXXX/LWT', 'Online'));
    assert.deepEqual(on.map((e) => [e.kind, e.deviceId, e.kind === 'availability' ? e.state : '', e.kind === 'availability' ? e.native : '']), [
      ['availability', 'tasmota:tasmota_XXXXXX', 'online', 'Online'],
    ]);
    const off = parse('tele/tasmota_XXXXXX/LWT', 'Offline');
    assert.equal(off.availability?.[0].state, 'offline');
    // a cleared retained LWT is a deletion, not a state
    assert.deepEqual(codes(parse('tele/tasmota_XXXXXX/LWT', '')), [['payload-empty', undefined]]);
  });

  it('[MQTT][RULES] both FullTopic orders give the same device id', () => {
    const payload = '{"Time":"2021-01-13T23:58:41","DS18B20":{"Id":"030597946B04","Temperature":20.9},"TempUnit":"C"}';
    const prefixFirst = parse('tele/ds1820/SENSOR', payload);
    const topicFirst = parse('ds1820/tele/SENSOR', payload);
    assert.deepEqual(values(prefixFirst), { 'DS18B20.Temperature': 20.9 });
    // same device id; the topic-first one has a prefix in front, so its site is that first level (issue #15)
    assert.deepEqual(
      topicFirst.readings.map((x) => ({ ...x, site: 'home' })),
      prefixFirst.readings,
    );
    allOn(topicFirst, 'tasmota:ds1820', 'ds1820');
    // FullTopic tasmota/bedroom/%topic%/%prefix%/ and %prefix%/home/cellar/%topic%/
    allOn(parse('tasmota/bedroom/ds1820/tele/SENSOR', payload), 'tasmota:tasmota/bedroom/ds1820', 'tasmota');
    allOn(parse('tele/home/cellar/ds1820/SENSOR', payload), 'tasmota:home/cellar/ds1820');
    assert.equal(parse('tasmota/bedroom/ds1820/stat/POWER', 'ON').readings[0].deviceId, 'tasmota:tasmota/bedroom/ds1820');
  });

  it('[IOB] INFO1 is device metadata; legacy tele/…/ENERGY keeps the ENERGY names; MARGINS are readings', () => {
    const info = onlyEvents(parse('tele/SonoffPOW/INFO1', '{"Module":"Sonoff Pow", "Version":"5.8.0", "FallbackTopic":"SonoffPOW", "GroupTopic":"sonoffs"}'));
    assert.deepEqual(
      info.map((e) => (e.kind === 'device' ? [e.deviceId, e.model, e.firmware] : [])),
      [['tasmota:SonoffPOW', 'Sonoff Pow', '5.8.0']],
    );
    const ip = parse('tele/SonoffPOW/INFO2', '{"WebServerMode":"Admin", "Hostname":"Sonoffpow", "IPAddress":"192.168.2.182"}');
    assert.equal(ip.devices?.[0].ip, '192.168.2.182');
    const energy = parse('tele/sonoff_4ch/ENERGY', '{"Time":"2017-10-02T19:24:32", "Total":1.753, "Yesterday":0.308, "Today":0.205, "Period":0, "Power":3, "Factor":0.12, "Voltage":221, "Current":0.097}');
    assert.equal(values(energy)['ENERGY.Total'], 1.753);
    assert.equal(units(energy)['ENERGY.Current'], 'A');
    assert.deepEqual(values(parse('tele/sonoffPOW/MARGINS', '{"Time":"2020-04-23T10:15:00","PowerLow":100,"PowerHigh":2000,"PowerDelta":50}')), {
      PowerLow: 100,
      PowerHigh: 2000,
      PowerDelta: 50,
    });
  });

  it('[IOB] broken JSON is refused with a reason; a truncated SENSOR gives no reading', () => {
    const missingBrace = parse('tele/sonoff_4ch/ENERGY', '"Time":"2017-10-02T19:24:32", "Total":1.753}');
    assert.equal(missingBrace.rejects.length, 1);
    assert.equal(missingBrace.readings.length, 0);
    const truncated = parse('tele/pow1/SENSOR', '{"Time":"2018-02-15T17:37:10","ENERGY":{"Total":6.29');
    assert.deepEqual(codes(truncated), [['payload-invalid-json', undefined]]);
  });

  it('[MQTT] Status 6 is configuration: ignored, not a reject; an unknown tele suffix is refused as unknown', () => {
    const r = parse(
      'stat/tasmota/STATUS6',
      '{"StatusMQT":{"MqttHost":"1.1.1.1","MqttPort":1883,"MqttClientMask":"DVES_%06X","MqttClient":"DVES_3D5E26","MqttUser":"tasmota","MqttCount":1,"MAX_PACKET_SIZE":1000,"KEEPALIVE":30}}',
    );
    assert.equal(events(r).length + r.readings.length + r.rejects.length, 0);
    assert.match(r.ignored ?? '', /configuration/);
    assert.deepEqual(codes(parse('tele/tasmota/WHATEVER', '{"a":1}')), [['topic-unknown', undefined]]);
  });
});
