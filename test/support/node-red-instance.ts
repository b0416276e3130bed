import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';

/** The part of the node-red package a test drives. */
interface NodeRed {
  init(server: Server, settings: object): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: express.Express;
  httpNode: express.Express;
  events: { once(event: string, listener: () => void): void };
}

export interface NodeRedInstance {
  baseUrl: string;
  stop(): Promise<void>;
}

const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * A whole Node-RED runtime in this process, with the Octopus pack loaded from the repo and the
 * given flow (credentials stored unencrypted in its own temporary user dir).
 *
 * The node-red package keeps its runtime in module state (one registry, one set of flows per
 * module graph), so each instance gets a fresh copy of the node-red and @node-red/* modules: the
 * copies share nothing. The Octopus modules are NOT reloaded: every instance loads the same pack
 * modules, which is what a test of per-instance state needs.
 */
export async function startNodeRed(flows: object[], credentials: Record<string, object> = {}): Promise<NodeRedInstance> {
  const userDir = mkdtempSync(join(tmpdir(), 'octopus-nr-'));
  // No core nodes (inject, function, …): the flows here use Octopus nodes only, and loading the
  // core set takes seconds.
  const coreNodesDir = join(userDir, 'no-core-nodes');
  mkdirSync(join(coreNodesDir, 'examples'), { recursive: true });
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  for (const key of Object.keys(require.cache)) {
    if (/[\\/]node_modules[\\/](node-red|@node-red)[\\/]/.test(key)) delete require.cache[key];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRed;
  const app = express();
  const server = createServer(app);
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: [PACKAGE_ROOT],
    coreNodesDir,
    httpAdminRoot: '/admin',
    httpNodeRoot: '/',
    disableEditor: true,
    externalModules: { autoInstall: false },
    functionExternalModules: false,
    telemetry: { enabled: false, updateNotification: false },
    runtimeState: { enabled: false },
    diagnostics: { enabled: false },
    logging: { console: { level: 'error', metrics: false, audit: false } },
  };
  RED.init(server, settings);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const started = new Promise<void>((r) => RED.events.once('flows:started', () => r()));
  await RED.start();
  await started;
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await RED.stop();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
