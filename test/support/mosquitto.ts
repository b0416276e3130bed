import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAsync } from 'mqtt';
import { freePort } from './ports';

export const PROJECT_MOSQUITTO_CONF = resolve(__dirname, '..', '..', '..', 'mosquitto', 'mosquitto.conf');
const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN || '/usr/sbin/mosquitto';

export interface TestBroker {
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
  /** Stops (saving its persistence) and starts again on the same port with the same data. */
  restart(): Promise<void>;
}

/**
 * A Mosquitto of the test's own on a free port, running the project's config with only the
 * listener, the data directory and the user rewritten for the test machine.
 */
export async function startMosquitto(): Promise<TestBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'octopus-mosquitto-'));
  const conf = readFileSync(PROJECT_MOSQUITTO_CONF, 'utf8')
    .replace(/^listener 1883.*$/m, `listener ${port} 127.0.0.1`)
    .replace(/^persistence_location .*$/m, `persistence_location ${dir}/`)
    .replace(/^log_dest .*$/m, 'log_dest stderr');
  const confPath = join(dir, 'mosquitto.conf');
  // Started as root, Mosquitto drops to the 'mosquitto' user, which cannot write the test's directory.
  writeFileSync(confPath, `user root\n${conf}`);
  let child: ChildProcess | undefined;
  let out = '';

  const launch = async () => {
    const c = spawn(MOSQUITTO_BIN, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child = c;
    const until = Date.now() + 10000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
      try {
        const probe = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
        await probe.endAsync();
        return;
      } catch {
        if (Date.now() > until) throw new Error(`mosquitto did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    output: () => out,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
