import { spawn } from 'node:child_process';

export interface StartedProcess {
  pid: number;
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/**
 * Spawns a server process (unset env entries removed), collects its output, and resolves once the
 * output matches `ready`; rejects with the output if it exits first or takes longer than `timeoutMs`.
 */
export async function startProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs: number; what: string },
): Promise<StartedProcess> {
  const env: NodeJS.ProcessEnv = { ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    if (!alive) throw new Error(`${options.what} exited during start:\n${out}`);
    if (options.ready.test(out)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${options.what} did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid as number,
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
