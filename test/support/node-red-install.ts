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

/** The stock Node-RED releases the pack is tried in, each on the Node.js it needs. */
export interface StockTarget {
  label: string;
  nodeRed: string;
  cacheKey: string;
  node: () => Promise<string>;
  nodeMajor: number;
  /** How Node-RED's start-up log names its version. */
  version: RegExp;
}

export const STOCK_TARGETS: StockTarget[] = [
  { label: 'Node-RED 4.1 on Node 20', nodeRed: '~4.1.0', cacheKey: 'node-red-4.1', node: async () => process.execPath, nodeMajor: 20, version: /Node-RED version: v4\.1\./ },
  { label: 'Node-RED 5 on Node 22', nodeRed: '^5.0.0', cacheKey: 'node-red-5', node: () => nodeBinary(22), nodeMajor: 22, version: /Node-RED version: v5\./ },
];

/**
 * A stock Node-RED of `target` with the pack installed from its `npm pack` tarball into a fresh
 * user directory, the way the palette manager installs it: Node-RED's own default settings, and no
 * Octopus environment variable. `stop()` also removes the user directory.
 */
export async function startStockNodeRed(target: StockTarget): Promise<NodeRedProcess & { userDir: string }> {
  const [tarball, home, node] = await Promise.all([packRepo(), cachedInstall(target.cacheKey, { 'node-red': target.nodeRed }), target.node()]);
  const userDir = mkdtempSync(join(tmpdir(), 'octopus-stock-user-'));
  try {
    writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }));
    await npm(userDir, ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', tarball]);
    const port = await freePort();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, TZ: 'UTC' };
    const red = await startNodeRedProcess(node, [join(home, 'node_modules', 'node-red', 'red.js'), '--userDir', userDir, '--port', String(port)], { cwd: userDir, env, port });
    return {
      ...red,
      userDir,
      stop: async () => {
        const code = await red.stop();
        rmSync(userDir, { recursive: true, force: true });
        return code;
      },
    };
  } catch (err) {
    rmSync(userDir, { recursive: true, force: true });
    throw err;
  }
}
