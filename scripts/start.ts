/**
 * `npm start`: Node-RED with the Octopus pack and the default flow on PORT (default 1880).
 * MQTT_URL / DATABASE_URL point it at a real broker and database; whichever is unset is replaced
 * by an embedded one (aedes on MQTT_PORT, default 1883; PGlite with its data under data/).
 */
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import express from 'express';
import { adminFromEnv, ensureAdminFile } from '../lib/auth/admin-account';
import { passwordProblem } from '../lib/auth/passwords';
import { redactUrl } from '../lib/mqtt-auth/broker-credentials';
import { LiveUserTable } from '../lib/mqtt-auth/live-user-table';
import { restoreLiveUsers } from '../lib/onboarding/restore-live-users';
import { devCredentialsPath, embeddedBrokerUsers } from './embedded/broker-users';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded/mqtt-broker';
import { embeddedPostgresPasswordPath, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded/postgres';

interface NodeRedRuntime {
  init(server: import('node:http').Server, settings: object): void;
  events: import('node:events').EventEmitter;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: express.Express;
  httpNode: express.Express;
}

function fail(message: string): never {
  console.error(`\n[octopus] ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const dataDir = resolve(process.env.OCTOPUS_DATA_DIR || join(process.cwd(), 'data'));
  process.env.OCTOPUS_DATA_DIR = dataDir;
  const port = Number(process.env.PORT || 1880);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT=${process.env.PORT} is not a TCP port`);

  let broker: EmbeddedBroker | undefined;
  let live: LiveUserTable | undefined;
  let postgres: EmbeddedPostgres | undefined;

  if (!process.env.MQTT_URL) {
    const mqttPort = Number(process.env.MQTT_PORT || 1883);
    try {
      const { auth, ingest } = embeddedBrokerUsers(dataDir, `mqtt://127.0.0.1:${mqttPort}`);
      // Devices and hubs added in /ui log in with users kept in-process (refilled from the database).
      live = new LiveUserTable();
      // MQTT_BIND=0.0.0.0 lets real devices on the LAN in (they still need credentials from /ui).
      broker = await startEmbeddedBroker(mqttPort, auth, process.env.MQTT_BIND || '127.0.0.1', live);
      // Node-RED runs in this process: its broker node reads these when MQTT_URL has no credentials.
      process.env.MQTT_USERNAME = ingest.username;
      process.env.MQTT_PASSWORD = ingest.password;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        fail(
          `port ${mqttPort} is taken, so the embedded MQTT broker cannot start. If a broker (Mosquitto) already runs there, use it:\n` +
            `    MQTT_URL=mqtt://127.0.0.1:${mqttPort} npm start\n` +
            `or move the embedded broker to a free port:  MQTT_PORT=1884 npm start`,
        );
      }
      throw err;
    }
    process.env.MQTT_URL = `mqtt://127.0.0.1:${mqttPort}`;
    console.log(`[octopus] embedded MQTT broker on ${broker.url} (users only; \`npm run simulate\` uses ${devCredentialsPath(dataDir)})`);
  }

  if (!process.env.DATABASE_URL) {
    const pgDir = join(dataDir, 'pglite');
    console.log(`[octopus] starting embedded PostgreSQL (PGlite) with data in ${pgDir} …`);
    postgres = await startEmbeddedPostgres(pgDir, Number(process.env.OCTOPUS_PG_PORT || 0));
    process.env.DATABASE_URL = postgres.url;
    console.log(`[octopus] embedded PostgreSQL on ${redactUrl(postgres.url)} (its password is in ${embeddedPostgresPasswordPath(pgDir)})`);
  }

  const envAdmin = adminFromEnv();
  const weak = envAdmin && passwordProblem(envAdmin.password);
  if (weak) fail(`OCTOPUS_ADMIN_PASSWORD is refused: ${weak}. Choose a longer one (or unset both OCTOPUS_ADMIN_* to get a random one).`);
  if (!envAdmin) {
    const admin = await ensureAdminFile(dataDir);
    if (admin.newPassword) {
      console.log(
        `\n[octopus] first start: created the operator account "${admin.file.username}" for the editor, /ui and /api/v1.\n` +
          `[octopus]   password: ${admin.newPassword}\n` +
          `[octopus]   shown this once: only its bcrypt hash is kept, in ${admin.path}. To set your own, start with\n` +
          `[octopus]   OCTOPUS_ADMIN_USER and OCTOPUS_ADMIN_PASSWORD, or change it at PATCH /api/v1/users/{id}.\n`,
      );
    } else {
      console.log(`[octopus] operator "${admin.file.username}" from ${admin.path}`);
    }
  }

  // Loaded only now: settings read the environment set above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require('../settings') as { httpAdminRoot: string; httpNodeRoot: string; uiPort: number; uiHost?: string; adminAuth: { close(): Promise<void> } };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  const app = express();
  app.disable('x-powered-by');
  const server = createServer(app);
  // The embedded broker's users reach the Octopus runtime (onboarding) through the settings.
  if (live) (settings as { octopusBrokerUsers?: LiveUserTable }).octopusBrokerUsers = live;
  RED.init(server, settings);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);

  await new Promise<void>((resolveListen) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') fail(`port ${port} is taken: set PORT to a free port (PORT=1890 npm start)`);
      fail(`cannot listen on port ${port}: ${err.message}`);
    });
    server.listen(port, settings.uiHost, () => resolveListen());
  });
  // Printed on every (re)start of the flows, whatever the log level: scripts and tests wait for it.
  RED.events.on('flows:started', () => {
    console.log('[octopus] flows started');
    // The embedded broker takes back the devices and hubs added in /ui (kept in the database).
    if (live && process.env.DATABASE_URL) {
      void restoreLiveUsers(live, process.env.DATABASE_URL, (line) => console.log(line)).then((n) => n > 0 && console.log(`[octopus] embedded broker: ${n} device and hub users from /ui`));
    }
  });
  await RED.start();
  const base = `http://127.0.0.1:${port}`;
  console.log(`[octopus] Node-RED editor: ${base}/   live dashboard: ${base}/ui   (MQTT ${redactUrl(process.env.MQTT_URL)})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[octopus] ${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 20000);
    force.unref();
    try {
      await RED.stop();
      await settings.adminAuth.close();
      server.close();
      await broker?.close();
      await postgres?.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => fail(err.stack || err.message));
