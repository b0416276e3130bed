import { randomBytes } from 'node:crypto';
import { createBrokerAuth } from '../lib/mqtt-auth/broker-auth';
import { DynsecAdmin } from '../lib/mqtt-auth/dynsec-admin';
import { LiveUserTable } from '../lib/mqtt-auth/live-user-table';
import { hashPassword } from '../lib/mqtt-auth/password-hash';
import { startEmbeddedBroker, type EmbeddedBroker } from '../scripts/embedded/mqtt-broker';
import { liveUsersSuite } from './support/live-users-suite';
import { startDynsecMosquitto, type DynsecTestBroker } from './support/mosquitto';
import { freePort } from './support/ports';

describe('live broker users on Mosquitto with the project config and the dynamic security plugin', () => {
  let broker: DynsecTestBroker;
  let admin: DynsecAdmin;
  before(async () => {
    broker = await startDynsecMosquitto();
    admin = await DynsecAdmin.connect(broker.urlFor(broker.admin));
  });
  after(async () => {
    await admin?.close();
    await broker?.stop();
  });
  liveUsersSuite({ port: () => broker.port, users: () => admin, ingestUrl: () => broker.url, reportsWrongPassword: false });
});

describe('live broker users on the embedded broker of npm start', () => {
  let broker: EmbeddedBroker;
  const table = new LiveUserTable();
  const ingest = { username: 'octopus', password: randomBytes(12).toString('base64url') };
  before(async () => {
    const auth = createBrokerAuth([{ username: ingest.username, role: 'ingest' }], `${ingest.username}:${hashPassword(ingest.password)}\n`);
    broker = await startEmbeddedBroker(await freePort(), auth, '127.0.0.1', table);
  });
  after(async () => broker?.close());
  liveUsersSuite({
    port: () => Number(new URL(broker.url).port),
    users: () => table,
    ingestUrl: () => `mqtt://${ingest.username}:${ingest.password}@127.0.0.1:${new URL(broker.url).port}`,
    reportsWrongPassword: true,
  });
});
