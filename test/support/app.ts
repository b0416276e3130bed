import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminApiToken, login, TEST_ADMIN, type Session } from './auth';
import { startProcess } from './child-process';
import { freePort } from './ports';

export interface RunningApp {
  pid: number;
  baseUrl: string;
  port: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** The operator the app was started with (OCTOPUS_ADMIN_USER/PASSWORD). */
  admin: { username: string; password: string };
  /** Signs in as the operator (a fresh session each call). */
  login(): Promise<Session>;
  /** fetch on Node-RED's admin API (/flows, /nodes, …) with the operator's bearer token. */
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
  /** The operator's admin API token (for /comms). */
  adminToken(): Promise<string>;
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

const START_SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'start.js');

/**
 * Starts the real application the way `npm start` does (dist/scripts/start.js, settings and default
 * flow), in a child process with its own data directory, and waits until its HTTP server answers.
 * Its operator is TEST_ADMIN (a random password per test run) unless `env` sets another, or
 * unsets OCTOPUS_ADMIN_USER (undefined) to see the first-start account being made.
 */
export async function startApp(env: NodeJS.ProcessEnv, options: { dataDir?: string; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<RunningApp> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'octopus-app-'));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    OCTOPUS_DATA_DIR: dataDir,
    OCTOPUS_ADMIN_USER: TEST_ADMIN.username,
    OCTOPUS_ADMIN_PASSWORD: TEST_ADMIN.password,
    ...env,
  };
  const child = await startProcess(process.execPath, [...(options.nodeArgs ?? []), START_SCRIPT], {
    env: childEnv,
    ready: /\[octopus\] flows started/,
    timeoutMs: options.timeoutMs ?? 60000,
    what: 'app',
  });
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = { username: String(childEnv.OCTOPUS_ADMIN_USER), password: String(childEnv.OCTOPUS_ADMIN_PASSWORD) };
  let token: Promise<string> | undefined;
  const adminToken = () => (token ??= adminApiToken(baseUrl, admin.username, admin.password));
  return {
    pid: child.pid,
    baseUrl,
    port,
    dataDir,
    env: childEnv,
    admin,
    login: () => login(baseUrl, admin.username, admin.password),
    adminToken,
    adminFetch: async (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${await adminToken()}`);
      return fetch(`${baseUrl}${path}`, { ...init, headers });
    },
    output: child.output,
    stop: child.stop,
    kill: child.kill,
  };
}
