import type { ParseOptions, ProfileName } from '../lib/model/reading';
import { createProfileContext, DEFAULT_PROFILE_ORDER, parseMessage } from '../lib/parser';
import { compareWithBaseline } from './parse-compare';
import { round, table, type Figures } from './support/figures';

export interface Sample {
  topic: string;
  payload: Buffer;
}

interface Tagged extends Sample {
  profile: ProfileName;
}

export function plainSamples(n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ topic: `casa-${i % 50}/salon/termo-${i % 7}/temperature`, payload: Buffer.from((18 + (i % 100) / 10).toFixed(1)) });
  }
  return out;
}

export function jsonSamples(n: number): Sample[] {
  const out: Sample[] = [];
  const t = Date.parse('2026-11-23T10:00:00Z'); // the bench's own clock: device times in the past are valid on any day
  for (let i = 0; i < n; i++) {
    out.push({
      topic: `casa-${i % 50}/salon/termo-${i % 7}/temperature`,
      payload: Buffer.from(JSON.stringify({ value: 18 + (i % 100) / 10, unit: '°C', ts: new Date(t + i * 1000).toISOString() })),
    });
  }
  return out;
}

/** One realistic message of each profile, numbered i (device ids and values vary). */
const GENERATORS: Record<ProfileName, (i: number) => Sample> = {
  octopus: (i) => ({ topic: `casa-${i % 50}/salon/termo-${i % 7}/temperature`, payload: Buffer.from((18 + (i % 100) / 10).toFixed(1)) }),
  tasmota: (i) =>
    i % 2 === 0
      ? {
          topic: `tele/plug-${i % 200}/SENSOR`,
          payload: Buffer.from(
            `{"Time":"2026-11-23T10:00:00","ENERGY":{"TotalStartTime":"2026-01-14T18:39:40","Total":${(6 + i / 1000).toFixed(3)},"Yesterday":5.340,"Today":0.954,"Period":217,"Power":${i % 3000},"ApparentPower":2650,"ReactivePower":282,"Factor":0.99,"Voltage":227,"Current":11.661}}`,
          ),
        }
      : {
          topic: `tele/th-${i % 200}/SENSOR`,
          payload: Buffer.from(`{"Time":"2026-11-23T10:00:00","AM2301":{"Temperature":${(20 + (i % 50) / 10).toFixed(1)},"Humidity":58.2},"TempUnit":"C"}`),
        },
  z2m: (i) => ({
    topic: `zigbee2mqtt/sensor-${i % 300}`,
    payload: Buffer.from(`{"battery":97,"humidity":${(40 + (i % 100) / 10).toFixed(2)},"linkquality":120,"temperature":${(20 + (i % 80) / 10).toFixed(2)},"voltage":3005}`),
  }),
  shelly: (i) =>
    i % 2 === 0
      ? { topic: `shellies/shellyplug-s-${(0xabc000 + (i % 200)).toString(16).toUpperCase()}/relay/0/power`, payload: Buffer.from(String((i % 2500) / 10)) }
      : {
          topic: `shellyplus1pm-${(0x441793a3b000 + (i % 200)).toString(16)}/status/switch:0`,
          payload: Buffer.from(`{"id":0,"source":"init","output":true,"apower":${(i % 2000) / 10},"voltage":231.2,"current":0.35,"aenergy":{"total":${i / 10},"by_minute":[0,0,0],"minute_ts":1795427940},"temperature":{"tC":45.4,"tF":113.7}}`),
        },
  esphome: (i) => ({ topic: `node-${i % 200}/sensor/temperature/state`, payload: Buffer.from((20 + (i % 80) / 10).toFixed(1)) }),
  homie: (i) => ({ topic: `homie/dev-${i % 200}/engine/temperature`, payload: Buffer.from((20 + (i % 80) / 10).toFixed(1)) }),
  owntracks: (i) => ({
    topic: `owntracks/user-${i % 50}/phone`,
    payload: Buffer.from(`{"_type":"location","acc":5,"alt":154,"batt":53,"conn":"w","lat":${(48.8 + (i % 100) / 10000).toFixed(6)},"lon":2.292713,"tid":"j1","tst":1795427000,"vel":0}`),
  }),
  ha: (i) => ({ topic: `homeassistant/sensor/room-${i % 100}/state`, payload: Buffer.from(`{"temperature":${(20 + (i % 80) / 10).toFixed(1)},"humidity":43.7}`) }),
};

/** The parser's entry points, so that the bench can run an older build beside this one (parse-compare.ts). */
export interface ParserModule {
  parseMessage: typeof parseMessage;
  createProfileContext: typeof createProfileContext;
}

const THIS_PARSER: ParserModule = { parseMessage, createProfileContext };

/** Options with a context that has seen the discovery configs and Homie metadata the stream relies on. */
export function preparedOptions(parser: ParserModule = THIS_PARSER): ParseOptions {
  const { parseMessage, createProfileContext } = parser;
  const context = createProfileContext();
  const options: ParseOptions = { context };
  for (let r = 0; r < 100; r++) {
    for (const [key, unit] of [
      ['temperature', '°C'],
      ['humidity', '%'],
    ]) {
      const config = { state_topic: `homeassistant/sensor/room-${r}/state`, unit_of_measurement: unit, value_template: `{{ value_json.${key} }}`, device: { identifiers: [`room-${r}`] } };
      parseMessage(`homeassistant/sensor/room-${r}-${key}/config`, Buffer.from(JSON.stringify(config)), options);
    }
  }
  for (let d = 0; d < 200; d++) {
    parseMessage(`homie/dev-${d}/engine/temperature/$datatype`, 'float', options);
    parseMessage(`homie/dev-${d}/engine/temperature/$unit`, '°C', options);
  }
  return options;
}

/** A deterministic interleaving of `perProfile` messages of every profile. */
export function mixedStream(perProfile: number): Tagged[] {
  const out: Tagged[] = [];
  for (let i = 0; i < perProfile; i++) {
    for (const p of DEFAULT_PROFILE_ORDER) out.push({ ...GENERATORS[p](i), profile: p });
  }
  let seed = 0x5eed;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Messages per second of `fn` over the samples, best of a few rounds after a warm-up. */
export function rate(samples: Sample[], fn: (s: Sample) => unknown, rounds = 5): number {
  let sink = 0;
  for (const s of samples) if (fn(s)) sink++;
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const s of samples) if (fn(s)) sink++;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, samples.length / secs);
  }
  if (sink < 0) console.log(sink);
  return best;
}

/**
 * Per-profile rates inside the mixed stream: each call is timed on its own (the timer's own cost,
 * measured on an empty call, is subtracted), so every profile is measured while the others run
 * alongside it, as on a real broker. Best of a few rounds per profile.
 */
function perProfileRates(stream: Tagged[], options: ParseOptions, rounds = 5): Record<ProfileName, number> {
  const run = (s: Tagged) => parseMessage(s.topic, s.payload, options).readings.length;
  for (const s of stream) run(s); // warm-up
  let overhead = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100000; i++) {
      const a = process.hrtime.bigint();
      const b = process.hrtime.bigint();
      if (b < a) console.log('clock went back');
    }
    overhead = Math.min(overhead, Number(process.hrtime.bigint() - t0) / 100000 / 2);
  }
  const best = {} as Record<ProfileName, number>;
  for (let r = 0; r < rounds; r++) {
    const ns = {} as Record<ProfileName, number>;
    const count = {} as Record<ProfileName, number>;
    for (const s of stream) {
      const t0 = process.hrtime.bigint();
      run(s);
      const dt = Number(process.hrtime.bigint() - t0) - overhead;
      ns[s.profile] = (ns[s.profile] ?? 0) + Math.max(dt, 1);
      count[s.profile] = (count[s.profile] ?? 0) + 1;
    }
    for (const p of Object.keys(ns) as ProfileName[]) best[p] = Math.max(best[p] ?? 0, (count[p] / ns[p]) * 1e9);
  }
  return best;
}

export async function runParseBench(): Promise<Figures> {
  const plain = plainSamples(200000);
  const json = jsonSamples(100000);
  const plainRate = rate(plain, (s) => parseMessage(s.topic, s.payload).readings.length);
  const jsonRate = rate(json, (s) => parseMessage(s.topic, s.payload).readings.length);
  // The least any parser must do: split the topic and decode the payload.
  const plainBaseline = rate(plain, (s) => s.topic.split('/').length + Number(s.payload.toString()));
  const jsonBaseline = rate(json, (s) => s.topic.split('/').length + (JSON.parse(s.payload.toString()) as { value: number }).value);
  console.log(`plain topics: ${Math.round(plainRate)} msg/s (baseline split + Number: ${Math.round(plainBaseline)} msg/s)`);
  console.log(`JSON payloads: ${Math.round(jsonRate)} msg/s (baseline split + JSON.parse: ${Math.round(jsonBaseline)} msg/s)`);

  const options = preparedOptions();
  const stream = mixedStream(20000);
  const mixedRate = rate(stream, (s) => parseMessage(s.topic, s.payload, options).readings.length);
  const perProfile = perProfileRates(stream, options);
  console.log(`mixed stream (${stream.length} messages, ${DEFAULT_PROFILE_ORDER.length} profiles interleaved): ${Math.round(mixedRate)} msg/s`);
  console.log(
    table(
      DEFAULT_PROFILE_ORDER.map((p) => ({
        profile: p,
        'msg/s in the mixed stream': Math.round(perProfile[p]),
        'µs/msg': round(1e6 / perProfile[p], 2),
        'example topic': GENERATORS[p](1).topic,
      })),
    ),
  );

  const baseline = process.env.OCTOPUS_BENCH_BASELINE_PARSER;
  const compared = baseline ? compareWithBaseline(baseline) : {};

  const figures: Figures = {
    ...compared,
    parse_plain_msgs_per_s: Math.round(plainRate),
    parse_json_msgs_per_s: Math.round(jsonRate),
    parse_plain_ratio_vs_baseline: round(plainRate / plainBaseline, 2),
    parse_json_ratio_vs_baseline: round(jsonRate / jsonBaseline, 2),
    parse_mixed_msgs_per_s: Math.round(mixedRate),
  };
  for (const p of DEFAULT_PROFILE_ORDER) figures[`parse_${p}_msgs_per_s`] = Math.round(perProfile[p]);
  return figures;
}
