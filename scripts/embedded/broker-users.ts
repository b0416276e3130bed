import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBrokerAuth, type BrokerAuth } from '../../lib/mqtt-auth/broker-auth';
import { hashPassword, randomPassword } from '../../lib/mqtt-auth/password-hash';
import { planUsers } from '../../lib/mqtt-auth/user-plan';
import { DEFAULT_INGEST_USER } from '../../lib/mqtt-auth/users';

export interface DevCredentials {
  url: string;
  username: string;
  password: string;
}

export const SIMULATOR_USER = 'simulator';

/** Where `npm start` leaves the simulator's credentials for `npm run simulate` (mode 600). */
export function devCredentialsPath(dataDir: string): string {
  return join(dataDir, 'mqtt', 'dev-credentials.json');
}

/**
 * The embedded broker's users, made by `npm start` so that nothing secret is in the repo:
 *  - Node-RED's ingest user: MQTT_USERNAME / MQTT_PASSWORD when set, else `octopus` with a new
 *    random password each start (handed to Node-RED in-process);
 *  - the houses of data/mqtt/passwd, if an operator made one (`npm run mqtt:users -- --dir data/mqtt`);
 *  - the simulator's user, its password made once and kept in data/mqtt/dev-credentials.json.
 */
export function embeddedBrokerUsers(dataDir: string, url: string, env: NodeJS.ProcessEnv = process.env): { auth: BrokerAuth; ingest: { username: string; password: string } } {
  const dir = join(dataDir, 'mqtt');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwdPath = join(dir, 'passwd');
  const ingest = { username: env.MQTT_USERNAME || DEFAULT_INGEST_USER, password: env.MQTT_PASSWORD || randomPassword() };
  const plan = planUsers({
    existingPasswordFile: existsSync(passwdPath) ? readFileSync(passwdPath, 'utf8') : '',
    houses: [],
    ingestUser: ingest.username,
    ingestPassword: ingest.password,
  });

  const credPath = devCredentialsPath(dataDir);
  let dev: DevCredentials | undefined;
  if (existsSync(credPath)) {
    try {
      dev = JSON.parse(readFileSync(credPath, 'utf8')) as DevCredentials;
    } catch {
      dev = undefined;
    }
  }
  if (!dev?.password) dev = { url, username: SIMULATOR_USER, password: randomPassword() };
  dev.url = url;
  writeFileSync(credPath, `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  chmodSync(credPath, 0o600);

  const users = [...plan.users, { username: dev.username, role: 'fleet' as const }];
  const passwordFile = `${plan.passwordFile}${dev.username}:${hashPassword(dev.password)}\n`;
  return { auth: createBrokerAuth(users, passwordFile), ingest };
}

export function readDevCredentials(dataDir: string): DevCredentials | undefined {
  try {
    return JSON.parse(readFileSync(devCredentialsPath(dataDir), 'utf8')) as DevCredentials;
  } catch {
    return undefined;
  }
}
