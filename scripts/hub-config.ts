/**
 * `npm run hub:config -- --site casa1 --central broker.example.com:8883 ...`: writes the
 * Mosquitto config of a house hub that bridges the house to the central broker (docs/hub.md).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HUB_CA_FILE, renderHubConfig } from '../lib/hub/hub-config';

const USAGE = `usage: npm run hub:config -- --site SITE --central HOST:PORT [options]
  --site SITE              the house (its hub user is SITE-hub, made by npm run mqtt:users)
  --central HOST:PORT      the central broker's TLS listener (e.g. broker.example.com:8883)
  --password-file FILE     file holding the hub user's password (or env OCTOPUS_HUB_PASSWORD)
  --ca-file PATH           the central CA certificate as seen on the hub (default ${DEFAULT_HUB_CA_FILE})
  --out FILE               where to write the config (default: print it); written mode 600
  --local-port N           the hub's listener for the house's devices (default 1883)
  --local-bind ADDRESS     bind the local listener to one address
  --local-prefix PREFIX/   local topics below PREFIX/ map onto SITE/ (default: all local topics)
  --local-password-file F  require logins on the local listener too
  --persistence-dir DIR    (default /mosquitto/data/)
  --command-topic FILTER   central topics below SITE/ brought down (repeatable; default +/+/+/set)
  --restart-timeout B,C    uplink reconnect backoff in seconds, base and cap (default 2,30)`;

function main(): void {
  const { values } = parseArgs({
    options: {
      site: { type: 'string' },
      central: { type: 'string' },
      'password-file': { type: 'string' },
      'ca-file': { type: 'string' },
      out: { type: 'string' },
      'local-port': { type: 'string' },
      'local-bind': { type: 'string' },
      'local-prefix': { type: 'string' },
      'local-password-file': { type: 'string' },
      'persistence-dir': { type: 'string' },
      'command-topic': { type: 'string', multiple: true },
      'restart-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.site || !values.central) throw new Error(`--site and --central are required\n\n${USAGE}`);
  // Read from a file or the environment, not the command line: arguments show in `ps`.
  const password = values['password-file'] ? readFileSync(values['password-file'], 'utf8').trim() : process.env.OCTOPUS_HUB_PASSWORD;
  if (!password) throw new Error('give the hub user\'s password with --password-file or OCTOPUS_HUB_PASSWORD');
  const text = renderHubConfig({
    site: values.site,
    central: values.central,
    password,
    caFile: values['ca-file'],
    localPort: values['local-port'] === undefined ? undefined : Number(values['local-port']),
    localBind: values['local-bind'],
    localPrefix: values['local-prefix'],
    localPasswordFile: values['local-password-file'],
    persistenceDir: values['persistence-dir'],
    commandTopics: values['command-topic'],
    restartTimeout: values['restart-timeout'] === undefined ? undefined : (values['restart-timeout'].split(',').map(Number) as [number, number]),
  });
  if (!values.out) {
    process.stdout.write(text);
    return;
  }
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text, { mode: 0o600 });
  chmodSync(out, 0o600);
  console.log(`wrote ${out} (mode 600): hub of ${values.site} → ${values.central}`);
}

try {
  main();
} catch (err) {
  console.error(`hub:config: ${(err as Error).message}`);
  process.exit(1);
}
