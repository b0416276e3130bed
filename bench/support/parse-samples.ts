/** The parse bench's messages and its timing loop, shared by bench/parse.ts and bench/parse-compare.ts. */
import type { ParseOptions, ProfileName } from '../../lib/model/reading';
import { createProfileContext, DEFAULT_PROFILE_ORDER, parseMessage } from '../../lib/parser';

export interface Sample {
  topic: string;
  payload: Buffer;
}

export interface Tagged extends Sample {
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
export const GENERATORS: Record<ProfileName, (i: number) => Sample> = {
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

