import type { ParseOptions, ProfileName } from '../lib/model/reading';
import { DEFAULT_PROFILE_ORDER, parseMessage } from '../lib/parser';
import { compareWithBaseline } from './parse-compare';
import { round, table, type Figures } from './support/figures';
import { GENERATORS, jsonSamples, mixedStream, plainSamples, preparedOptions, rate, type Tagged } from './support/parse-samples';

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
