import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess } from './child-process';
import { REPO_ROOT } from './node-red-admin';
import { freePort } from './ports';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'octopus-test-installs');

/**
 * Runs `npm install` of `deps` in a directory cached under os.tmpdir by `key`, once: later runs reuse
 * it (a marker file says the install finished). Returns the directory.
 */
export async function cachedInstall(key: string, deps: Record<string, string>, pkg: Record<string, unknown> = {}): Promise<string> {
  const dir = join(CACHE, key);
  if (existsSync(join(dir, '.installed'))) return dir;
  // Installed beside, then renamed into place: a run that stops half-way, or another run installing
  // at the same time, never leaves a partial directory under the cache's name.
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, `${key}.staging-`));
  try {
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: `octopus-test-${key}`, private: true, ...pkg, dependencies: deps }, null, 2));
    await npm(staging, ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier']);
    writeFileSync(join(staging, '.installed'), new Date().toISOString());
    if (existsSync(join(dir, '.installed'))) return dir;
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return dir;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export async function npm(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} in ${cwd} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A Node.js binary of another major version, from the `node` npm package (cached). */
export async function nodeBinary(major: number): Promise<string> {
  const dir = await cachedInstall(`node-${major}`, { node: `${major}` });
  return join(dir, 'node_modules', '.bin', 'node');
}

let packed: Promise<string> | undefined;

/** `npm pack` of this repository (its prepare script builds it), once per test run: the tarball's path. */
export function packRepo(): Promise<string> {
  packed ??= (async () => {
    const dest = mkdtempSync(join(tmpdir(), 'octopus-pack-'));
    await npm(REPO_ROOT, ['pack', '--pack-destination', dest]);
    const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
    if (tgz.length !== 1) throw new Error(`npm pack wrote ${tgz.join(', ') || 'nothing'}`);
    return join(dest, tgz[0]);
  })();
  return packed;
}

export interface NodeRedProcess {
  baseUrl: string;
  port: number;
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts a command that runs Node-RED and waits until it says its flows started (or it exits).
 * `port` must be the port the command makes Node-RED listen on.
 */
export async function startNodeRedProcess(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; port: number; timeoutMs?: number }): Promise<NodeRedProcess> {
  const child = await startProcess(command, args, {
    cwd: options.cwd,
    env: options.env,
    ready: /\[info\] Started flows/,
    timeoutMs: options.timeoutMs ?? 90000,
    what: `${command} ${args.join(' ')}`,
  });
  return { baseUrl: `http://127.0.0.1:${options.port}`, port: options.port, output: child.output, stop: child.stop };
}

export { freePort };
