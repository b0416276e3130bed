import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { connectAsync, type IClientOptions } from 'mqtt';
import { planUsers } from '../../lib/mqtt-auth/user-plan';
import { deviceUsername, hubUsername } from '../../lib/mqtt-auth/users';
import { freePort } from './ports';
import { testCa, type TestCa } from './test-ca';

export const PROJECT_MOSQUITTO_CONF = resolve(__dirname, '..', '..', '..', 'mosquitto', 'mosquitto.conf');
export const DYNSEC_INIT = resolve(__dirname, '..', '..', '..', 'mosquitto', 'dynsec-init.sh');
export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN || '/usr/sbin/mosquitto';
export const TEST_INGEST_USER = 'octopus';

export interface Credentials {
  username: string;
  password: string;
}

export interface HouseCredentials {
  devices: Credentials;
  hub: Credentials;
}

export interface TestBroker {
  /** Plain MQTT with Node-RED's ingest user in it: what the app (and a test's own publisher) connects with. */
  url: string;
  port: number;
  /** The TLS listener (the project's 8883), signed by `ca`. */
  tlsPort: number;
  ca: TestCa;
  ingest: Credentials;
  /** Adds a house's users (regenerating the password file and ACL with `npm run mqtt:users`'s code, then reloading Mosquitto). */
  house(site: string): Promise<HouseCredentials>;
  /** `mqtt://user:pass@127.0.0.1:port` for a user. */
  urlFor(c: Credentials): string;
  /** Client options for the TLS port, trusting the test CA. */
  tlsOptions(c: Credentials): IClientOptions;
  output(): string;
  stop(): Promise<void>;
  /** Stops (saving its persistence) and starts again on the same ports with the same data. */
  restart(): Promise<void>;
}

export interface MosquittoProcess {
  output(): string;
  pid(): number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGHUP: Mosquitto rereads its password file and ACL. */
  reload(): void;
}

/**
 * Runs `mosquitto -c conf` until stopped; `start` returns once `ready` (a connect attempt) succeeds.
 * Started as root, Mosquitto drops to the 'mosquitto' user, which cannot write the test's
 * directories, hence `user root` in every test config.
 */
export function mosquittoProcess(confPath: string, ready: () => Promise<void>): MosquittoProcess {
  let child: ChildProcess | undefined;
  let out = '';
  return {
    output: () => out,
    pid: () => child?.pid,
    async start() {
      const c = spawn(MOSQUITTO_BIN, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child = c;
      const until = Date.now() + 10000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
        try {
          await ready();
          return;
        } catch {
          if (Date.now() > until) throw new Error(`mosquitto did not start: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    },
    reload() {
      child?.kill('SIGHUP');
    },
  };
}

export async function canConnect(url: string, options: IClientOptions = {}): Promise<boolean> {
  try {
    const probe = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000, ...options });
    await probe.endAsync();
    return true;
  } catch {
    return false;
  }
}

/**
 * A Mosquitto of the test's own on free ports, running the project's config with only the
 * listeners' ports, the data directory, the user, and the paths of the password file, ACL and
 * certificates rewritten for the test machine. The password file and ACL are made by the same
 * code as `npm run mqtt:users`; the certificates by a test CA.
 */
export async function startMosquitto(options: { houses?: string[] } = {}): Promise<TestBroker> {
  return startProjectMosquitto(options, undefined);
}

/** Where Debian's mosquitto package puts the dynamic security plugin (the compose image has it in /usr/lib). */
export const DYNSEC_PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN || '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

export interface DynsecTestBroker extends TestBroker {
  /** The plugin's admin client, as `mosquitto_ctrl dynsec init` made it at first start. */
  admin: Credentials;
}

/**
 * The project's Mosquitto config as compose runs it: the dynamic security plugin, first started by
 * the compose entrypoint mosquitto/dynsec-init.sh (the admin client and the ingest user from the
 * environment).
 */
export async function startDynsecMosquitto(): Promise<DynsecTestBroker> {
  const admin: Credentials = { username: 'octopus-admin', password: `adm-${Math.random().toString(36).slice(2)}${Date.now()}` };
  const broker = await startProjectMosquitto({}, admin);
  return { ...broker, admin };
}

async function startProjectMosquitto(options: { houses?: string[] }, dynsecAdmin: Credentials | undefined): Promise<TestBroker> {
  const port = await freePort();
  const tlsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'octopus-mosquitto-'));
  const ca = testCa();
  const conf = readFileSync(PROJECT_MOSQUITTO_CONF, 'utf8')
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replace(/^listener 8883$/m, `listener ${tlsPort} 127.0.0.1`)
    .replace(/^persistence_location .*$/m, `persistence_location ${dir}/`)
    .replace(/^log_dest .*$/m, 'log_dest stderr')
    .replace(/^plugin .*$/m, dynsecAdmin ? `plugin ${DYNSEC_PLUGIN}` : '')
    .replace(/^plugin_opt_config_file .*$/m, dynsecAdmin ? `plugin_opt_config_file ${dir}/dynamic-security.json` : '')
    .replace(/^#?password_file .*$/m, dynsecAdmin ? '' : `password_file ${dir}/passwd`)
    .replace(/^#?acl_file .*$/m, dynsecAdmin ? '' : `acl_file ${dir}/acl`)
    .replace(/^cafile .*$/m, `cafile ${ca.caCert}`)
    .replace(/^certfile .*$/m, `certfile ${ca.serverCert}`)
    .replace(/^keyfile .*$/m, `keyfile ${ca.serverKey}`);
  const confPath = join(dir, 'mosquitto.conf');
  writeFileSync(confPath, `user root\n${conf}`);

  const ingest: Credentials = { username: TEST_INGEST_USER, password: 'unset' };
  const known = new Map<string, string>();
  const houses = new Set<string>();
  const writeUsers = () => {
    const passwdPath = join(dir, 'passwd');
    const plan = planUsers({
      existingPasswordFile: existsSync(passwdPath) ? readFileSync(passwdPath, 'utf8') : '',
      houses,
      ingestUser: ingest.username,
    });
    for (const c of plan.newCredentials) known.set(c.username, c.password);
    ingest.password = known.get(ingest.username) as string;
    writeFileSync(passwdPath, plan.passwordFile, { mode: 0o600 });
    writeFileSync(join(dir, 'acl'), plan.aclFile, { mode: 0o600 });
  };
  for (const h of options.houses ?? []) houses.add(h);
  writeUsers();

  const urlFor = (c: Credentials) => `mqtt://${encodeURIComponent(c.username)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}`;
  const creds = (username: string): Credentials => ({ username, password: known.get(username) as string });
  if (dynsecAdmin) {
    // The first start as compose does it (mosquitto/dynsec-init.sh): the admin client and the ingest user.
    ingest.password = `ing-${Math.random().toString(36).slice(2)}${Date.now()}`;
    const init = spawnSync('/bin/sh', [DYNSEC_INIT, '--init'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        MOSQUITTO_CONF: confPath,
        DYNSEC_FILE: join(dir, 'dynamic-security.json'),
        MQTT_LOCAL_PORT: String(port),
        OCTOPUS_MQTT_ADMIN_USER: dynsecAdmin.username,
        OCTOPUS_MQTT_ADMIN_PASSWORD: dynsecAdmin.password,
        MQTT_USERNAME: ingest.username,
        MQTT_PASSWORD: ingest.password,
        PATH: `${dirname(MOSQUITTO_BIN)}:${process.env.PATH ?? ''}`,
      },
      timeout: 30000,
    });
    if (init.status !== 0) throw new Error(`mosquitto/dynsec-init.sh failed: ${init.stderr}${init.stdout}`);
  }
  const proc = mosquittoProcess(confPath, async () => {
    const probe = await connectAsync(urlFor(dynsecAdmin ?? ingest), { reconnectPeriod: 0, connectTimeout: 1000 });
    await probe.endAsync();
  });
  await proc.start();

  return {
    url: urlFor(ingest),
    port,
    tlsPort,
    ca,
    ingest,
    urlFor,
    tlsOptions: (c) => ({ ...c, protocol: 'mqtts', host: '127.0.0.1', port: tlsPort, ca: readFileSync(ca.caCert), rejectUnauthorized: true }),
    async house(site) {
      const house = { devices: deviceUsername(site), hub: hubUsername(site) };
      if (!houses.has(site)) {
        houses.add(site);
        writeUsers();
        proc.reload();
        // Mosquitto rereads the files on SIGHUP: the new user can log in once it has.
        const until = Date.now() + 10000;
        while (!(await canConnect(urlFor(creds(house.devices))))) {
          if (Date.now() > until) throw new Error(`mosquitto did not take the new users of ${site}: ${proc.output()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      return { devices: creds(house.devices), hub: creds(house.hub) };
    },
    output: proc.output,
    stop: proc.stop,
    restart: async () => {
      await proc.stop();
      await proc.start();
    },
  };
}
