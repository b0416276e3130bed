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
  // A fresh copy of Node-RED's modules for this instance; the cache is put back as it was once it
  // runs, so that whatever else in this process uses node-red (the node test helper) keeps its copy.
  const NODE_RED_MODULE = /[\\/]node_modules[\\/](node-red|@node-red)[\\/]/;
  const saved = new Map<string, NodeJS.Module | undefined>();
  for (const key of Object.keys(require.cache)) {
    if (NODE_RED_MODULE.test(key)) {
      saved.set(key, require.cache[key]);
      delete require.cache[key];
    }
  }
  const app = express();
  const server = createServer(app);
  let RED: NodeRed;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    RED = require('node-red') as NodeRed;
    RED.init(server, settings);
    app.use(settings.httpAdminRoot, RED.httpAdmin);
    app.use(settings.httpNodeRoot, RED.httpNode);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const started = new Promise<void>((r) => RED.events.once('flows:started', () => r()));
    await RED.start();
    await started;
  } finally {
    for (const key of Object.keys(require.cache)) if (NODE_RED_MODULE.test(key)) delete require.cache[key];
    for (const [key, module] of saved) require.cache[key] = module;
  }
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
