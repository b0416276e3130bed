/**
 * `npm run bench` runs every part; `npm run bench -- <part> [<part>…]` runs some. Each part prints
 * what it measures as it goes; the run ends with one line holding a flat JSON object of the figures.
 */
import type { Figures } from './support/figures';

type Part = () => Promise<Figures>;

const parts: Record<string, () => Promise<Part>> = {
  parse: async () => (await import('./parse')).runParseBench,
  registry: async () => (await import('./registry')).runRegistryBench,
  alerts: async () => (await import('./alerts')).runAlertsBench,
  ingest: async () => (await import('./ingest')).runIngestBench,
  history: async () => (await import('./history')).runHistoryBench,
  live: async () => (await import('./live')).runLiveBench,
  export: async () => (await import('./export')).runExportBench,
  notify: async () => (await import('./notify')).runNotifyBench,
  automation: async () => (await import('./automation')).runAutomationBench,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((a) => !(a in parts));
  if (unknown.length > 0) {
    console.error(`unknown bench part(s): ${unknown.join(', ')}; parts: ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  const chosen = asked.length > 0 ? asked : Object.keys(parts);
  const figures: Figures = {};
  for (const name of chosen) {
    console.log(`\n=== bench part: ${name} ===`);
    const run = await parts[name]();
    Object.assign(figures, await run());
  }
  console.log(JSON.stringify(figures));
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack || err.message);
    process.exit(1);
  },
);
