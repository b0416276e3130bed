/**
 * `npm run mqtt:users`: writes Mosquitto's password file and ACL for Node-RED's ingest user and
 * every house (the sites in Postgres's devices table when DATABASE_URL is set, plus --house).
 * Existing users keep their passwords; new users get random ones, written once to a credentials
 * file (mode 600) or printed. Reload Mosquitto afterwards (SIGHUP) for them to take effect.
 */
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { brokerCredentials } from '../lib/mqtt-auth/broker-credentials';
import { credentialLines } from '../lib/mqtt-auth/credentials-file';
import { planUsers } from '../lib/mqtt-auth/user-plan';
import { DEFAULT_INGEST_USER, siteProblem } from '../lib/mqtt-auth/users';

const USAGE = `usage: npm run mqtt:users -- [options]
  --house SITE        a house to have users (repeatable), besides the sites in Postgres (DATABASE_URL)
  --dir DIR           where Mosquitto's passwd and acl go (default: mosquitto/, mounted at /mosquitto/config)
  --credentials FILE  where new users' passwords are appended, mode 600
                      (default: $OCTOPUS_DATA_DIR or ./data, file mqtt-credentials.txt)
  --print             print new users' passwords instead of writing them to a file
  --prune             drop the users of houses that are neither in Postgres nor given
  --no-database       do not read houses from Postgres even if DATABASE_URL is set
  --chown UID:GID     give passwd and acl to this owner (as root; the eclipse-mosquitto image reads them as 1883:1883)
Node-RED's ingest user is MQTT_USERNAME (default ${DEFAULT_INGEST_USER}), or the user in MQTT_URL; its password
is MQTT_PASSWORD or the one in MQTT_URL when set, otherwise it is generated like the others.`;

async function housesInDatabase(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ site: string }>('select distinct site from devices order by site');
    return res.rows.map((r) => r.site);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      house: { type: 'string', multiple: true },
      dir: { type: 'string' },
      credentials: { type: 'string' },
      print: { type: 'boolean' },
      prune: { type: 'boolean' },
      'no-database': { type: 'boolean' },
      chown: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const given = values.house ?? [];
  for (const site of given) {
    const problem = siteProblem(site);
    if (problem) throw new Error(problem);
  }
  const houses = new Set(given);
  if (process.env.DATABASE_URL && !values['no-database']) {
    const found = await housesInDatabase(process.env.DATABASE_URL);
    // A site that cannot be a username is reported, not allowed to stop every other house.
    for (const site of found) {
      const problem = siteProblem(site);
      if (problem) console.error(`skipped: ${problem}`);
      else houses.add(site);
    }
    console.log(`houses in the database: ${found.length}`);
  }

  const fromUrl = process.env.MQTT_URL ? brokerCredentials(process.env.MQTT_URL) : brokerCredentials('mqtt://localhost');
  const dir = resolve(values.dir ?? join(__dirname, '..', '..', 'mosquitto'));
  mkdirSync(dir, { recursive: true });
  const passwdPath = join(dir, 'passwd');
  const aclPath = join(dir, 'acl');
  const plan = planUsers({
    existingPasswordFile: existsSync(passwdPath) ? readFileSync(passwdPath, 'utf8') : '',
    houses,
    ingestUser: fromUrl.username || DEFAULT_INGEST_USER,
    ingestPassword: fromUrl.password,
    prune: values.prune,
  });

  // Credentials first: a password file naming users whose passwords were lost is worse than none.
  if (plan.newCredentials.length > 0) {
    if (values.print) {
      console.log('new users (shown once; store them now):');
      for (const c of plan.newCredentials) console.log(`  ${c.username}:${c.password}`);
    } else {
      const credPath = resolve(values.credentials ?? join(process.env.OCTOPUS_DATA_DIR || join(process.cwd(), 'data'), 'mqtt-credentials.txt'));
      mkdirSync(dirname(credPath), { recursive: true });
      appendFileSync(credPath, credentialLines(plan.newCredentials, new Date()), { mode: 0o600 });
      chmodSync(credPath, 0o600);
      console.log(`new users' passwords appended to ${credPath} (mode 600): ${plan.newCredentials.map((c) => c.username).join(', ')}`);
    }
  }
  writeFileSync(passwdPath, plan.passwordFile, { mode: 0o600 });
  chmodSync(passwdPath, 0o600);
  writeFileSync(aclPath, plan.aclFile, { mode: 0o600 });
  chmodSync(aclPath, 0o600);
  if (values.chown) {
    const m = /^(\d+):(\d+)$/.exec(values.chown);
    if (!m) throw new Error(`--chown takes numeric UID:GID, not ${values.chown}`);
    for (const p of [passwdPath, aclPath]) chownSync(p, Number(m[1]), Number(m[2]));
  }
  const houseCount = plan.users.filter((u) => u.role === 'hub').length;
  console.log(`wrote ${passwdPath} and ${aclPath}: ${plan.users.length} users (${houseCount} house${houseCount === 1 ? '' : 's'})`);
  if (plan.removed.length > 0) console.log(`removed: ${plan.removed.join(', ')}`);
  console.log('reload Mosquitto to apply: docker compose kill -s HUP mosquitto   (or kill -HUP <pid>)');
}

main().catch((err: Error) => {
  console.error(`mqtt:users: ${err.message}`);
  process.exit(1);
});
