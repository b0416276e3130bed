import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports';

export interface RunningApp {
  pid: number;
  baseUrl: string;
  port: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
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
 */
export async function startApp(env: NodeJS.ProcessEnv, options: { dataDir?: string; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<RunningApp> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'octopus-app-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), OCTOPUS_DATA_DIR: dataDir, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), START_SCRIPT], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let alive = true;
  void exited.then(() => (alive = false));

  const until = Date.now() + (options.timeoutMs ?? 60000);
  for (;;) {
    if (!alive) throw new Error(`app exited during start:\n${out}`);
    if (/\[octopus\] flows started/.test(out)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`app did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid as number,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    env: childEnv,
    output: () => out,
    stop: async () => {
      if (alive) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (alive) child.kill('SIGKILL');
      await exited;
    },
  };
}
