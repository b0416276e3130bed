/**
 * `npm test`'s entry point: makes sure the services the suite needs answer, then runs mocha with
 * the arguments given. Where no Postgres answers at PG_TEST_URL (default 127.0.0.1:5432), it
 * starts a throwaway cluster of Debian's postgresql package on a free port; where no broker
 * answers at MQTT_TEST_URL (default 127.0.0.1:1883), a throwaway Mosquitto. Both are said on the
 * console, pointed at through PG_TEST_URL / MQTT_TEST_URL for the tests, and removed afterwards.
 *
 *   node dist/test/support/with-services.js [mocha arguments…]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import { MOSQUITTO_BIN } from './mosquitto';
import { freePort } from './ports';

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_MQTT = 'mqtt://127.0.0.1:1883';

interface Service {
  url: string;
  stop(): Promise<void>;
}

const say = (line: string) => console.log(`[test services] ${line}`);

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function brokerAnswers(url: string): Promise<boolean> {
  try {
    const c = await connectAsync(url, { connectTimeout: 3000, reconnectPeriod: 0 });
    await c.endAsync();
    return true;
  } catch {
    return false;
  }
}

/** The newest installed PostgreSQL's bin directory (Debian lays them out as /usr/lib/postgresql/N/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) throw new Error('no Postgres answers and none is installed: install Debian\'s postgresql package (bash .ci/run does) or set PG_TEST_URL');
  return found;
}

/** initdb and postgres refuse to run as root: as root, the cluster belongs to the `postgres` user. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function startPostgres(): Promise<Service> {
  const bin = postgresBinDir();
  const owner = clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), 'octopus-test-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], { stdio: 'ignore', ...owner });
  const port = await freePort();
  // A throwaway cluster: durability off (it is deleted afterwards), room for the suite's parallel apps.
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];
  let out = '';
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...owner });
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const until = Date.now() + 30_000;
  while (!(await postgresAnswers(url))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the throwaway Postgres did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  say(`no Postgres answered at ${process.env.PG_TEST_URL ?? DEFAULT_PG}: started a throwaway cluster (${bin}) on ${url}`);
  return {
    url,
    async stop() {
      child.kill('SIGINT'); // fast shutdown
      await waitForExit(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startBroker(): Promise<Service> {
  if (!existsSync(MOSQUITTO_BIN)) throw new Error(`no broker answers and ${MOSQUITTO_BIN} is missing: install Debian's mosquitto package (bash .ci/run does) or set MQTT_TEST_URL`);
  const dir = mkdtempSync(join(tmpdir(), 'octopus-test-mqtt-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // Like the machine's own broker: anonymous on loopback. `user root` because Mosquitto started as root would drop to a user that cannot read this directory.
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nmax_queued_messages 100000\n`);
  let out = '';
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const url = `mqtt://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  while (!(await brokerAnswers(url))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the throwaway Mosquitto did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`no broker answered at ${process.env.MQTT_TEST_URL ?? DEFAULT_MQTT}: started a throwaway Mosquitto on ${url}`);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const started: Service[] = [];
  const stopAll = () => Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  const env: NodeJS.ProcessEnv = { ...process.env };
  let code = 1;
  try {
    const pgUrl = process.env.PG_TEST_URL || DEFAULT_PG;
    if (await postgresAnswers(pgUrl)) {
      env.PG_TEST_URL = pgUrl;
    } else {
      const pg = await startPostgres();
      started.push(pg);
      env.PG_TEST_URL = pg.url;
    }
    const mqttUrl = process.env.MQTT_TEST_URL || DEFAULT_MQTT;
    if (await brokerAnswers(mqttUrl)) {
      env.MQTT_TEST_URL = mqttUrl;
    } else {
      const broker = await startBroker();
      started.push(broker);
      env.MQTT_TEST_URL = broker.url;
    }
    const mocha = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...process.argv.slice(2)], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => mocha.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    code = await new Promise<number>((resolve) => mocha.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  } catch (err) {
    console.error(`[test services] ${(err as Error).message}`);
  } finally {
    await stopAll();
  }
  process.exit(code);
}

void main();
