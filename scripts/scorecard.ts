/**
 * `npm run scorecard [-- DIR]`: the Node-RED flow library's scorecard (`node-red-dev validate`) for
 * this package (or DIR), on a machine that cannot reach the flow catalogue.
 *
 * node-red-dev asks two hosts over HTTP (axios): registry.npmjs.org/node-red for Node-RED's
 * dist-tags and the latest version's Node.js engines (checks P06, P07), and catalogue.nodered.org for
 * every published package (P08 similar names, N01 duplicate node types). Here the registry part is
 * answered from `npm view` (the npm client reaches the registry through this machine's set-up) and
 * the catalogue checks are reported as not run instead of passed. Any other axios request fails
 * loudly. Dependency checks (D02, D03) use their own registry clients and run as usual.
 * Prints node-red-dev's output; `--json FILE` also writes the scorecard.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface AxiosConfig {
  url?: string;
}
interface AxiosLike {
  defaults: { adapter?: (config: AxiosConfig) => Promise<unknown> };
}

/** node-red-dev's claims that rest on the catalogue, and what is true of them here instead. */
const CATALOGUE_CLAIMS: Array<[string, string]> = [
  ['✅ No similar named packages found', '➖ P08 not run: the flow catalogue (catalogue.nodered.org) cannot be reached from here'],
  ['✅ Nodes all have unique names', '➖ N01 not run: the flow catalogue (catalogue.nodered.org) cannot be reached from here'],
];

function npmViewJson(...args: string[]): unknown {
  return JSON.parse(execFileSync('npm', ['view', ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'string' } } });
  const packageDir = resolve(positionals[0] ?? join(__dirname, '..', '..'));
  const nodeRedDevDir = dirname(require.resolve('node-red-dev/package.json'));

  const distTags = npmViewJson('node-red', 'dist-tags') as Record<string, string>;
  const latestEngines = npmViewJson(`node-red@${distTags.latest}`, 'engines');
  console.log(`(offline answers: node-red dist-tags ${JSON.stringify(distTags)}, node-red@${distTags.latest} engines ${JSON.stringify(latestEngines)})`);

  // The axios node-red-dev itself loads: resolved from its own directory.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const axios = require(require.resolve('axios', { paths: [nodeRedDevDir] })) as AxiosLike;
  axios.defaults.adapter = async (config) => {
    const url = new URL(config.url ?? '');
    const reply = (data: unknown) => ({ data, status: 200, statusText: 'OK', headers: {}, config, request: {} });
    if (url.href === 'https://registry.npmjs.org/node-red') {
      return reply({ 'dist-tags': distTags, versions: { [distTags.latest]: { engines: latestEngines } } });
    }
    if (url.host === 'catalogue.nodered.org') return reply({ modules: [] });
    throw new Error(`scorecard: no offline answer for ${config.url}`);
  };

  const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    for (const [claim, truth] of CATALOGUE_CLAIMS) text = text.split(claim).join(truth);
    return write(text, ...rest);
  }) as typeof process.stdout.write;

  const scorecardFile = values.json ?? join(mkdtempSync(join(tmpdir(), 'octopus-scorecard-')), 'scorecard.json');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const oclif = require(require.resolve('@oclif/command', { paths: [nodeRedDevDir] })) as {
    run(argv: string[], root: string): Promise<unknown>;
  };
  await oclif.run(['validate', '--path', packageDir, '--output', scorecardFile, '--embed', 'yes'], nodeRedDevDir);

  const scorecard = JSON.parse(readFileSync(scorecardFile, 'utf8')) as Record<string, { test?: boolean | null; notRun?: string }>;
  for (const check of ['P08', 'N01']) {
    if (scorecard[check]) scorecard[check] = { test: null, notRun: 'flow catalogue not reachable' };
  }
  writeFileSync(scorecardFile, JSON.stringify(scorecard, null, 2));
  // node-red-dev leaves a readline on stdin open; nothing else is pending.
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
