/**
 * The parser against an older build of itself, in the same process and the same minutes:
 * `OCTOPUS_BENCH_BASELINE_PARSER=<dir of an older dist/lib/parser> npm run bench -- parse`.
 * On a shared machine the load changes from one run to the next, so figures of two runs do not
 * compare; here each suite runs the old and the new parser in alternation, round by round, and
 * keeps the best round of each: the ratio new/old is what a change did to the speed.
 */
import { resolve } from 'node:path';
import { jsonSamples, mixedStream, type ParserModule, plainSamples, preparedOptions, rate, type Sample } from './support/parse-samples';
import { round, table, type Figures } from './support/figures';

const ROUNDS = 7;

export function compareWithBaseline(dir: string): Figures {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const old = require(resolve(dir)) as ParserModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const now = require('../lib/parser') as ParserModule;
  const mixed = mixedStream(10000);
  const suites: Array<{ name: string; samples: Sample[]; run: (p: ParserModule) => (s: Sample) => number }> = [
    { name: 'plain', samples: plainSamples(100000), run: (p) => (s) => p.parseMessage(s.topic, s.payload).readings.length },
    { name: 'json', samples: jsonSamples(50000), run: (p) => (s) => p.parseMessage(s.topic, s.payload).readings.length },
    {
      name: 'mixed',
      samples: mixed,
      run: (p) => {
        const options = preparedOptions(p);
        return (s) => p.parseMessage(s.topic, s.payload, options).readings.length;
      },
    },
  ];
  const figures: Figures = {};
  const rows: Array<Record<string, string | number>> = [];
  for (const suite of suites) {
    const oldRun = suite.run(old);
    const newRun = suite.run(now);
    let oldBest = 0;
    let newBest = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // which goes first alternates too: neither always meets the other's garbage or a warmer CPU
      if (r % 2 === 0) oldBest = Math.max(oldBest, rate(suite.samples, oldRun, 1));
      newBest = Math.max(newBest, rate(suite.samples, newRun, 1));
      if (r % 2 === 1) oldBest = Math.max(oldBest, rate(suite.samples, oldRun, 1));
    }
    figures[`parse_${suite.name}_baseline_msgs_per_s`] = Math.round(oldBest);
    figures[`parse_${suite.name}_this_msgs_per_s`] = Math.round(newBest);
    figures[`parse_${suite.name}_vs_baseline`] = round(newBest / oldBest, 2);
    rows.push({ suite: suite.name, 'baseline msg/s': Math.round(oldBest), 'this build msg/s': Math.round(newBest), 'this / baseline': round(newBest / oldBest, 2) });
  }
  console.log(`against the parser at ${dir} (alternating, best of ${ROUNDS} rounds each):`);
  console.log(table(rows));
  return figures;
}
