/**
 * Real messages from real installations for the classes of issue #17, each with where it was
 * published, and the parser settings its installation needs (a topic template, a Tasmota FullTopic).
 * Shared by test/parser-real-world.test.ts (what each message gives) and
 * test/parser-leaves.test.ts (every JSON leaf accounted for).
 *
 * Sources:
 *  [T6160]     arendst/Tasmota#6160 "Shelly 2.5 - dual power metering": tele/shelly25/SENSOR with per-channel arrays
 *  [EVCC5732]  evcc-io/evcc#5732 "Tasmota: support Shelly 2.5": StatusSNS ENERGY "ApparentPower":[149,0], "Power":[7,0]
 *  [EVCC18879] evcc-io/evcc#18879 "Tasmota: Voltage/Current measurands are swapped": three-phase StatusSNS arrays
 *  [TLIGHT]    Tasmota docs, "Lights" — https://tasmota.github.io/docs/Lights/ (RESULT with "Channel":[…])
 *  [TMQTT]     Tasmota docs, "MQTT" — https://tasmota.github.io/docs/MQTT/ (FullTopic, %prefix% renamed with
 *              SetPrefix1–3, LWT Online/Offline, an empty cmnd payload is a status query)
 *  [TCMD]      Tasmota docs, "Commands" — https://tasmota.github.io/docs/Commands/ (StateText1–4: the words of OFF/ON)
 *  [HAMQTT]    Home Assistant docs, "MQTT" discovery examples — https://www.home-assistant.io/integrations/mqtt/
 *              (homeassistant/binary_sensor/garden/state, homeassistant/switch/irrigation/state|set,
 *              homeassistant/sensor/sensorBedroom/state with several values)
 *  [MITEMP]    JsBergbau/MiTemperature2 sendToMQTT_HA.sh: state_topic homeassistant/sensor/<name>/state, JSON temperature/humidity
 *  [ESPEASY]   ESPEasy "OpenHAB MQTT" controller, publish template /%sysname%/%tskname%/%valname% (leading /);
 *              home-assistant/home-assistant.io#4757 "add initial slashes for ESPEasy" (/home/bathroom/…)
 *  [RTL433]    merbanan/rtl_433 MQTT output `devices=` topics: YanekC/home-automation rtl_433_mqtt.sh
 *              (devices=rtl_433[/id]), sebmorio/homeassistant_addons run.sh (rtl_433/devices[/type][/model][/subtype][/channel][/id])
 *  [IOB]       ioBroker/ioBroker.mqtt#13 and PR #81 "Send state as object": {"val":0,"ack":true,"ts":…,"q":0,"from":…,"lc":…}
 *  [VICTRON]   ioBroker/ioBroker.mqtt#458: a Victron GX sends every value as {"value": 123};
 *              victronenergy/dbus-mqtt topics N/<portal id>/<service>/<instance>/<D-Bus path>
 *  [AJSON]     bblanchon/ArduinoJson examples: {"sensor":"gps","time":1351824120,"data":[48.756080,2.302038]}
 *  [Z2M]       Zigbee2MQTT docs, "MQTT Topics and Messages": zigbee2mqtt/<name>/set
 *  [HOMIE]     Homie convention v4: homie/<device>/<node>/<property>/set
 *  [SHELLY1]   Shelly Gen1 API docs: shellies/<id>/relay/<i>/command
 *  [ESPH]      ESPHome docs, "MQTT Client Component": <node>/switch/<name>/command
 */
import type { ParseOptions } from '../../lib/model/reading';
import type { TasmotaTopicOptions } from '../../lib/parser';

export interface RealMessage {
  source: string;
  /** The class of issue #17 it belongs to. */
  kind: 'array' | 'fulltopic' | 'template' | 'wrapped' | 'ha-default' | 'switch-word' | 'empty-command';
  topic: string;
  payload: string;
  /** The settings the installation needs; the same arrays and objects every time (the parser caches by identity). */
  options?: ParseOptions;
}

const fullTopic = (t: TasmotaTopicOptions): ParseOptions => ({ tasmota: t });
const templates = (...lines: string[]): ParseOptions => ({ topicTemplates: lines });

export const TOPIC_FIRST = fullTopic({ fullTopic: '%topic%/%prefix%/' });
export const SITE_IN_FRONT = fullTopic({ fullTopic: 'casa1/%prefix%/%topic%/' });
export const RENAMED_PREFIXES = fullTopic({ fullTopic: '%prefix%/%topic%/', prefixes: { cmnd: 'command', stat: 'status', tele: 'telemetry' } });
export const FIXED_AFTER_PREFIX = fullTopic({ fullTopic: '%prefix%/home/cellar/%topic%/' });
export const ESPEASY = templates('/{device}/{sensor}/{attribute}', '/{site}/{room}/{sensor}/{attribute}');
export const RTL433 = templates('rtl_433/devices/+/+/{device}/{attribute} room=garden', 'rtl_433/{device}/{attribute}');
export const IOBROKER = templates('mqtt/0/{device}/{attribute} path=val');
export const VICTRON = templates('N/{site}/{device}/+/# path=value');
export const ARDUINO = templates('arduino/{device} path=data');

export const REAL_MESSAGES: RealMessage[] = [
  // --- multi-channel arrays
  {
    source: 'T6160',
    kind: 'array',
    topic: 'tele/shelly25/SENSOR',
    payload:
      '{"Time":"2019-09-14T16:24:49","Switch1":"OFF","Switch2":"OFF","ANALOG":{"Temperature":52.5},"ENERGY":{"TotalStartTime":"2019-04-13T18:21:03","Total":3.262,"Yesterday":0.000,"Today":0.005,"Period":1.34,"Power":[23.63,67.17],"ApparentPower":[23.63,67.17],"ReactivePower":[0.00,0.00],"Factor":[1.00,1.00],"Voltage":229.3,"Current":[0.103,0.293]},"TempUnit":"C"}',
  },
  {
    source: 'EVCC5732',
    kind: 'array',
    topic: 'stat/shelly25-pv/STATUS8',
    payload:
      '{"StatusSNS":{"Time":"2023-01-10T10:00:48","Switch1":"ON","Switch2":"OFF","ANALOG":{"Temperature":34.6},"ENERGY":{"TotalStartTime":"2022-12-11T13:15:53","Total":3.071,"Yesterday":0.151,"Today":0.063,"Power":[7,0],"ApparentPower":[149,0],"ReactivePower":[149,0],"Factor":[0.05,0.00],"Frequency":50,"Voltage":233,"Current":[0.641,0.000]},"TempUnit":"C"}}',
  },
  {
    source: 'EVCC18879',
    kind: 'array',
    topic: 'stat/pzem3phase/STATUS10',
    payload:
      '{"StatusSNS":{"Time":"2025-02-16T21:28:28","ENERGY":{"TotalStartTime":"2024-08-14T20:17:44","Total":0,"Yesterday":0,"Today":0,"Power":[1,0,0],"ApparentPower":[5,0,0],"ReactivePower":[5,0,0],"Factor":[0.16,0,0],"Frequency":[50,50,50],"Voltage":[230,230,230],"Current":[0.022,0,0]}}}',
  },
  {
    source: 'TLIGHT',
    kind: 'array',
    topic: 'stat/rgb-strip/RESULT',
    payload: '{"POWER":"ON","Dimmer":100,"Color":"255,128,0","HSBColor":"30,100,100","Channel":[100,50,0]}',
  },
  // --- Tasmota FullTopic variants: %topic%/%prefix%/, a site in front, renamed prefixes, fixed levels after the prefix
  { source: 'TMQTT', kind: 'fulltopic', topic: 'sonoff-pow/tele/SENSOR', payload: '{"Time":"2018-02-15T17:37:10","ENERGY":{"Total":6.294,"Power":2635,"Voltage":227}}', options: TOPIC_FIRST },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'sonoff-pow/tele/LWT', payload: 'Online', options: TOPIC_FIRST },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'sonoff-pow/tele/STATE', payload: '{"Time":"2018-02-15T17:37:10","Uptime":"0T00:15:00","POWER":"ON","Wifi":{"AP":1,"RSSI":84}}', options: TOPIC_FIRST },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'casa1/tele/plug1/SENSOR', payload: '{"Time":"2024-03-01T08:00:00","ENERGY":{"Total":12.5,"Power":40,"Voltage":231}}', options: SITE_IN_FRONT },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'casa1/tele/plug1/LWT', payload: 'Offline', options: SITE_IN_FRONT },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'casa1/stat/plug1/POWER', payload: 'ON', options: SITE_IN_FRONT },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'telemetry/plug2/SENSOR', payload: '{"Time":"2024-03-01T08:00:00","AM2301":{"Temperature":21.4,"Humidity":48.1},"TempUnit":"C"}', options: RENAMED_PREFIXES },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'telemetry/plug2/LWT', payload: 'Online', options: RENAMED_PREFIXES },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'telemetry/plug2/STATE', payload: '{"Time":"2024-03-01T08:00:00","POWER":"OFF","Wifi":{"RSSI":70}}', options: RENAMED_PREFIXES },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'command/plug2/POWER', payload: 'TOGGLE', options: RENAMED_PREFIXES },
  { source: 'TMQTT', kind: 'fulltopic', topic: 'tele/home/cellar/pump/SENSOR', payload: '{"Time":"2024-03-01T08:00:00","DS18B20":{"Id":"0000059352D4","Temperature":11.2},"TempUnit":"C"}', options: FIXED_AFTER_PREFIX },
  // --- topics that are not site/room/device/attribute
  { source: 'ESPEASY', kind: 'template', topic: '/ESP_Easy/BME280/Temperature', payload: '21.37', options: ESPEASY },
  { source: 'ESPEASY', kind: 'template', topic: '/ESP_Easy/BME280/Humidity', payload: '45.20', options: ESPEASY },
  { source: 'ESPEASY', kind: 'template', topic: '/home/bathroom/analog/brightness', payload: '290.00', options: ESPEASY },
  { source: 'RTL433', kind: 'template', topic: 'rtl_433/devices/Acurite-Tower/A/2753/temperature_C', payload: '21.4', options: RTL433 },
  { source: 'RTL433', kind: 'template', topic: 'rtl_433/devices/Acurite-Tower/A/2753/humidity', payload: '45', options: RTL433 },
  { source: 'RTL433', kind: 'template', topic: 'rtl_433/2753/battery_ok', payload: '1', options: RTL433 },
  // --- values under another key, or nested
  { source: 'IOB', kind: 'wrapped', topic: 'mqtt/0/Ankleide_Licht/brightness', payload: '{"val":0,"ack":true,"ts":1518265506389,"q":0,"from":"system.adapter.mqtt.0","lc":1518265506270}', options: IOBROKER },
  { source: 'IOB', kind: 'wrapped', topic: 'mqtt/0/Ankleide_Licht/rgb', payload: '{"val":"#000000","ack":true,"ts":1518265506388,"q":0,"from":"system.adapter.mqtt.0","lc":1518265506388}', options: IOBROKER },
  { source: 'VICTRON', kind: 'wrapped', topic: 'N/e0ff50a097c0/system/0/Dc/Battery/Soc', payload: '{"value": 75.5}', options: VICTRON },
  { source: 'VICTRON', kind: 'wrapped', topic: 'N/e0ff50a097c0/battery/256/Dc/0/Voltage', payload: '{"value": 12.58}', options: VICTRON },
  { source: 'AJSON', kind: 'wrapped', topic: 'arduino/gps', payload: '{"sensor":"gps","time":1351824120,"data":[48.756080,2.302038]}', options: ARDUINO },
  // --- Home Assistant default state topics, no config seen
  { source: 'HAMQTT', kind: 'ha-default', topic: 'homeassistant/binary_sensor/garden/state', payload: 'ON' },
  { source: 'HAMQTT', kind: 'ha-default', topic: 'homeassistant/switch/irrigation/state', payload: 'OFF' },
  { source: 'HAMQTT', kind: 'ha-default', topic: 'homeassistant/sensor/sensorBedroom/state', payload: '{"temperature":23.20,"humidity":43.70}' },
  { source: 'MITEMP', kind: 'ha-default', topic: 'homeassistant/sensor/kitchen/state', payload: '{"temperature": 21.8, "humidity": 54, "voltage": 2.958, "batteryLevel": 86}' },
  { source: 'HAMQTT', kind: 'ha-default', topic: 'homeassistant/switch/irrigation/set', payload: 'ON' },
  // --- boolean-looking strings on switch attributes
  { source: 'TCMD', kind: 'switch-word', topic: 'stat/tasmota/RESULT', payload: '{"POWER1":"true"}' },
  { source: 'TCMD', kind: 'switch-word', topic: 'tele/tasmota/STATE', payload: '{"Time":"2024-03-01T08:00:00","POWER1":"on","POWER2":"off","Wifi":{"RSSI":60}}' },
  { source: 'TCMD', kind: 'switch-word', topic: 'stat/tasmota/POWER', payload: 'off' },
  { source: 'TCMD', kind: 'switch-word', topic: 'stat/tasmota/RESULT', payload: '{"POWER":"OFF"}' },
  // --- empty payloads on command topics
  { source: 'TMQTT', kind: 'empty-command', topic: 'cmnd/tasmota_switch/POWER', payload: '' },
  { source: 'Z2M', kind: 'empty-command', topic: 'zigbee2mqtt/living_room_lamp/set', payload: '' },
  { source: 'HOMIE', kind: 'empty-command', topic: 'homie/kitchen-light/light/power/set', payload: '' },
  { source: 'SHELLY1', kind: 'empty-command', topic: 'shellies/shelly1-B929CC/relay/0/command', payload: '' },
  { source: 'ESPH', kind: 'empty-command', topic: 'livingroom/switch/relay/command', payload: '' },
  { source: 'HAMQTT', kind: 'empty-command', topic: 'homeassistant/switch/irrigation/set', payload: '' },
];
