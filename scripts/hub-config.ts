/**
 * `npm run hub:config -- --site casa1 --central broker.example.com:8883 ...`: writes the
 * Mosquitto config of a house hub that bridges the house to the central broker (docs/hub.md).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HUB_CA_FILE, DEFAULT_HUB_PASSWORD_FILE, hubLocalPasswordFile, isLoopback, renderHubConfig } from '../lib/hub/hub-config';

const USAGE = `usage: npm run hub:config -- --site SITE --central HOST:PORT [options]
  --site SITE              the house (its hub user is SITE-hub, made by npm run mqtt:users)
  --central HOST:PORT      the central broker's TLS listener (e.g. broker.example.com:8883)
  --password-file FILE     file holding the hub user's password (or env OCTOPUS_HUB_PASSWORD)
  --ca-file PATH           the central CA certificate as seen on the hub (default ${DEFAULT_HUB_CA_FILE})
  --out FILE               where to write the config (default: print it); written mode 600
  --local-port N           the hub's listener for the house's devices (default 1883)
  --local-bind ADDRESS     bind the local listener to one address (127.0.0.1: anonymous, hub only)
  --local-prefix PREFIX/   local topics below PREFIX/ map onto SITE/ (default: all local topics)
  --local-password-file F  the local listener's password file as a path on the hub, made by you;
                           by default (with --out) a passwd is written next to the config with the
                           house's devices user SITE-devices (new password shown once), used as
                           ${DEFAULT_HUB_PASSWORD_FILE}
  --local-anonymous        accept an anonymous local listener on the house's LAN (not advised)
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
      'local-anonymous': { type: 'boolean' },
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
  // The LAN listener requires logins: unless a password file is named (or the listener is the
  // hub's own, or anonymity is asked for), one is written next to the config with the house's
  // devices user.
  let localPasswordFile = values['local-password-file'];
  let localUsers: { path: string; text: string; newCredentials: { username: string; password: string }[] } | undefined;
  if (!localPasswordFile && !values['local-anonymous'] && !isLoopback(values['local-bind'])) {
    if (!values.out) throw new Error('the local listener needs a password file: give --out (a passwd with the house\'s devices user is written next to it), --local-password-file, or --local-anonymous');
    const path = join(dirname(resolve(values.out)), 'passwd');
    const made = hubLocalPasswordFile(values.site, existsSync(path) ? readFileSync(path, 'utf8') : '');
    localUsers = { path, text: made.passwordFile, newCredentials: made.newCredentials };
    localPasswordFile = DEFAULT_HUB_PASSWORD_FILE;
  }
  const text = renderHubConfig({
    site: values.site,
    central: values.central,
    password,
    caFile: values['ca-file'],
    localPort: values['local-port'] === undefined ? undefined : Number(values['local-port']),
    localBind: values['local-bind'],
    localPrefix: values['local-prefix'],
    localPasswordFile,
    localAnonymous: values['local-anonymous'],
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
  if (localUsers) {
    writeFileSync(localUsers.path, localUsers.text, { mode: 0o600 });
    chmodSync(localUsers.path, 0o600);
    console.log(`wrote ${localUsers.path} (mode 600): the local listener's users, at ${DEFAULT_HUB_PASSWORD_FILE} on the hub`);
    for (const c of localUsers.newCredentials) console.log(`new local user for the house's devices (shown once; store it now): ${c.username}:${c.password}`);
  }
  console.log(`wrote ${out} (mode 600): hub of ${values.site} → ${values.central}`);
}

try {
  main();
} catch (err) {
  console.error(`hub:config: ${(err as Error).message}`);
  process.exit(1);
}
