import { parseMessage } from '../lib/parser';
import { round, type Figures } from './support/figures';

interface Sample {
  topic: string;
  payload: Buffer;
}

function plainSamples(n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ topic: `casa-${i % 50}/salon/termo-${i % 7}/temperature`, payload: Buffer.from((18 + (i % 100) / 10).toFixed(1)) });
  }
  return out;
}

function jsonSamples(n: number): Sample[] {
  const out: Sample[] = [];
  const t = Date.parse('2026-11-23T10:00:00Z');
  for (let i = 0; i < n; i++) {
    out.push({
      topic: `casa-${i % 50}/salon/termo-${i % 7}/temperature`,
      payload: Buffer.from(JSON.stringify({ value: 18 + (i % 100) / 10, unit: '°C', ts: new Date(t + i * 1000).toISOString() })),
    });
  }
  return out;
}

/** Messages per second of `fn` over the samples, best of a few rounds after a warm-up. */
function rate(samples: Sample[], fn: (s: Sample) => unknown, rounds = 5): number {
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
  return {
    parse_plain_msgs_per_s: Math.round(plainRate),
    parse_json_msgs_per_s: Math.round(jsonRate),
    parse_plain_ratio_vs_baseline: round(plainRate / plainBaseline, 2),
    parse_json_ratio_vs_baseline: round(jsonRate / jsonBaseline, 2),
  };
}
