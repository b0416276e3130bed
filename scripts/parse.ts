/**
 * `npm run parse -- <topic> <payload>`: what the parser makes of one message, as the parse node's
 * "try a message" panel shows it (readings, device events, rejects with reasons, leaves not read).
 */
import { parseArgs } from 'node:util';
import { resultLines, tryMessage } from '../lib/parser/try-message';

const USAGE = `usage: npm run parse -- <topic> <payload> [options]
  --template LINE   a topic template, e.g. "{site}/{room}/{attribute} device=thermo" (repeat for several, in order)
  --fulltopic FT    Tasmota FullTopic (default %prefix%/%topic%/)
  --prefixes P      Tasmota prefixes command,status,telemetry (default cmnd,stat,tele)
  --profiles LIST   enabled profiles in order (default: all)
  --site NAME       site of firmware devices without a house prefix (default home)
  --max-payload N   bytes (default 65536)
  --json            print the result as JSON
A payload of - is read from standard input.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      template: { type: 'string', multiple: true },
      fulltopic: { type: 'string' },
      prefixes: { type: 'string' },
      profiles: { type: 'string' },
      site: { type: 'string' },
      'max-payload': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 2) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const [topic, raw] = positionals;
  const payload = raw === '-' ? await readStdin() : raw;
  const answer = tryMessage({
    topic,
    payload,
    config: {
      templates: (values.template ?? []).join('\n'),
      tasmotaFullTopic: values.fulltopic,
      tasmotaPrefixes: values.prefixes,
      profiles: values.profiles,
      site: values.site,
      maxPayloadBytes: values['max-payload'],
    },
  });
  if (answer.status !== 200) {
    console.error(`octopus parse: ${answer.body.error.message}`);
    return 2;
  }
  const result = answer.body.result;
  console.log(values.json ? JSON.stringify(result, null, 2) : resultLines(result).join('\n'));
  return result.rejects.length > 0 ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`octopus parse: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
