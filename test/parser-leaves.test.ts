/**
 * Nothing valid is dropped silently (issue #17): for every JSON payload of the real-world corpus
 * and of each profile's telemetry, every leaf either became a reading, is named in a reject, or is
 * named in an "unread" note with its reason (ParseOptions.explain) — or the whole message was
 * refused or ignored with a reason. Explaining changes nothing else: readings, rejects and events
 * are the same with and without it.
 */
import assert from 'node:assert/strict';
import type { ParseOptions, ParseResult } from '../lib/model/reading';
import { createProfileContext, parseMessage } from '../lib/parser';
import { compileTemplate } from '../lib/parser/topic-template';
import { evaluatePath } from '../lib/parser/value-path';
import { REAL_MESSAGES } from './support/real-world-messages';

const NOW = Date.parse('2026-11-23T10:00:00Z');

/** Every leaf of a JSON value as a dotted path (keys and indexes); empty objects and arrays are leaves too. */
function leaves(v: unknown, path = ''): string[] {
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : typeof v === 'object' && v !== null ? Object.entries(v) : undefined;
  if (entries === undefined || entries.length === 0) return path === '' ? [] : [path];
  return entries.flatMap(([k, x]) => leaves(x, path === '' ? k : `${path}.${k}`));
}

/** The telemetry of each profile, as the profile tests and the fuzz seeds have it. */
const PROFILE_MESSAGES: Array<[string, string]> = [
  ['casa/salon/termo', '{"temperature":21.5,"humidity":{"value":40,"unit":"%"},"ts":1795000000,"power":[40,12]}'],
  ['tele/pow1/SENSOR', '{"Time":"2018-02-15T17:37:10","ENERGY":{"TotalStartTime":"2018-11-14T18:39:40","Total":6.294,"Power":2635,"Voltage":227,"Current":11.661}}'],
  ['tele/nan/SENSOR', '{"Time":"2018-10-31T11:57:31","SI7021-00":{"Temperature":17.1,"Humidity":70.0},"SI7021-02":{"Temperature":nan,"Humidity":nan},"TempUnit":"C"}'],
  ['tele/tasmota/STATE', '{"Time":"2019-10-31T11:14:59","Uptime":"0T18:36:12","UptimeSec":66972,"Heap":27,"SleepMode":"Dynamic","Sleep":50,"LoadAvg":19,"MqttCount":1,"POWER":"OFF","Wifi":{"AP":1,"SSId":"IoT","BSSId":"AA:BB:CC:DD:EE:FF","Channel":11,"RSSI":100,"Signal":-57,"LinkCount":1,"Downtime":"0T00:00:03"}}'],
  ['zigbee2mqtt/Living Room/Lamp', '{"state":"ON","brightness":215,"color":{"x":0.46,"y":0.41},"color_temp":null,"last_seen":"2026-11-23T09:59:30.000Z","update":{"state":"idle"},"elapsed":2200}'],
  ['shellyplus1pm-441793a3b3c4/status/switch:0', '{"id":0,"source":"timer","output":false,"apower":0,"voltage":237.571,"aenergy":{"total":14.093,"by_minute":[0,0,0],"minute_ts":1626942420},"temperature":{"tC":45.4,"tF":113.7}}'],
  ['weather-station/light/lamp/state', '{"state":"ON","brightness":255,"color_mode":"rgb","color":{"r":255,"g":180,"b":200}}'],
  ['owntracks/jane/phone', '{"_type":"location","acc":5,"alt":154,"batt":53,"conn":"w","lat":48.856826,"lon":2.292713,"tid":"j1","tst":1706856298,"vel":0,"inregions":["home"],"BSSID":"aa:bb:cc:dd:ee:ff"}'],
  ['homeassistant/sensor/sensorBedroom/state', '{"temperature":23.2,"humidity":43.7,"battery":91}'],
];

/** A context that announced only the bedroom's temperature: the other keys of its state are not read. */
function bedroomContext(): ParseOptions {
  const context = createProfileContext();
  parseMessage(
    'homeassistant/sensor/sensorBedroomT/config',
    '{"state_topic":"homeassistant/sensor/sensorBedroom/state","unit_of_measurement":"°C","value_template":"{{ value_json.temperature }}","device":{"identifiers":["bedroom01ae"]}}',
    { context },
  );
  return { context };
}

function accountFor(topic: string, payload: string, options: ParseOptions): void {
  let json: unknown;
  try {
    json = JSON.parse(payload.replace(/\bnan\b/g, '"nan"'));
  } catch {
    return; // not JSON: nothing to walk
  }
  const r = parseMessage(topic, payload, { receivedAt: NOW, ...options, explain: true });
  const plain = parseMessage(topic, payload, { receivedAt: NOW, ...options, context: options.context === undefined ? undefined : bedroomContextFor(options) });
  // explaining adds notes, nothing else
  const { unread, ...rest } = r;
  assert.deepEqual(rest, plain, `${topic}: explain changed the result`);
  if (r.readings.length === 0 && r.rejects.some((x) => x.attribute === undefined)) return; // the whole message was refused, with its reason
  const readingNames = new Set(r.readings.map((x) => x.attribute));
  // a reject or a note may name a container (an array skipped as a history, one too long): it covers its leaves
  const containers = [...r.rejects.map((x) => x.attribute ?? ''), ...(unread ?? []).map((u) => u.attribute)].filter((a) => a !== '');
  const underPath = valuePathHits(r, json);
  for (const leaf of leaves(json)) {
    const heads = leaf.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));
    const ok =
      [...readingNames].some((a) => names(a, leaf)) ||
      containers.some((a) => heads.some((h) => names(a, h))) ||
      underPath.some((p) => leaf === p || leaf.startsWith(`${p}.`)) ||
      // the Octopus {value, unit, ts} form: one reading named by the object
      (/\.(value|unit|ts|timestamp|time)$/.test(leaf) && readingNames.has(leaf.slice(0, leaf.lastIndexOf('.'))));
    assert.ok(ok, `${topic}: the leaf ${leaf} is neither a reading, nor in a reject, nor in a note: ${JSON.stringify(r)}`);
  }
}

/** Attribute `a` names the payload path `p`: the same, with a prefix (the component, the HA object), or without the payload's wrapper (StatusSNS). */
function names(a: string, p: string): boolean {
  return a === p || a.endsWith(`.${p}`) || (p.includes('.') && a === p.slice(p.indexOf('.') + 1));
}

/** A template with a value path renames what it reads: the leaves under its hits are the readings. */
function valuePathHits(r: ParseResult, json: unknown): string[] {
  if (r.template === undefined) return [];
  const t = compileTemplate(r.template);
  if (typeof t === 'string' || t.path === undefined) return [];
  const hits = evaluatePath(json, t.path);
  return typeof hits === 'string' ? [] : hits.map((h) => h.at.join('.'));
}

const contexts = new WeakMap<ParseOptions, ParseOptions>();
/** The same discovery state for the comparison run (a second context, fed the same config). */
function bedroomContextFor(options: ParseOptions) {
  let o = contexts.get(options);
  if (o === undefined) {
    o = bedroomContext();
    contexts.set(options, o);
  }
  return o.context;
}

describe('every leaf of a JSON payload is accounted for (issue #17)', () => {
  it('the real-world corpus: readings, rejects or notes for every leaf', () => {
    let walked = 0;
    for (const m of REAL_MESSAGES) {
      accountFor(m.topic, m.payload, m.options ?? {});
      walked++;
    }
    assert.ok(walked >= 40);
  });

  it('each profile\'s telemetry, including skipped identifiers, nulls, histories and unannounced keys', () => {
    for (const [topic, payload] of PROFILE_MESSAGES) {
      accountFor(topic, payload, topic.startsWith('homeassistant/') ? bedroomContext() : {});
    }
  });

  it('the notes say why: an identifier, the time, a history, null, outside a value path', () => {
    const r = parseMessage('shellyplus1pm-441793a3b3c4/status/switch:0', PROFILE_MESSAGES[5][1], { receivedAt: NOW, explain: true });
    const notes = new Map((r.unread ?? []).map((u) => [u.attribute, u.reason]));
    assert.match(notes.get('switch:0.aenergy.by_minute') ?? '', /history/);
    assert.match(notes.get('switch:0.id') ?? '', /identifier/);
    const z = parseMessage('zigbee2mqtt/Living Room/Lamp', PROFILE_MESSAGES[4][1], { receivedAt: NOW, explain: true });
    assert.match(new Map((z.unread ?? []).map((u) => [u.attribute, u.reason])).get('color_temp') ?? '', /null/);
    // without explain there are no notes at all: nothing is spent on them on the ingest path
    assert.equal(parseMessage('zigbee2mqtt/Living Room/Lamp', PROFILE_MESSAGES[4][1], { receivedAt: NOW }).unread, undefined);
  });
});
