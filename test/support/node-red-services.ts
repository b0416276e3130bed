import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import helper from 'node-red-node-test-helper';
import { createTestDatabase, type TestDatabase } from './database';
import { MQTT_TEST_URL } from './env';

export interface RealServices {
  db: TestDatabase;
  mqtt: MqttClient;
}

/**
 * Mocha hooks for node tests on the real services: a fresh database (also DATABASE_URL, which the
 * postgres config node falls back to), a client on the real broker, the test helper's server, and
 * the flows unloaded after each test. Call inside `describe`; read the fields inside tests.
 */
export function useRealServices(clientPrefix: string): RealServices {
  const services = {} as RealServices;
  const savedDbUrl = process.env.DATABASE_URL;
  before(async () => {
    services.db = await createTestDatabase();
    process.env.DATABASE_URL = services.db.url;
    services.mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `${clientPrefix}-${randomUUID()}` });
    await helper.startServer();
  });
  after(async () => {
    await services.mqtt?.endAsync();
    await helper.stopServer();
    if (savedDbUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedDbUrl;
    await services.db?.drop();
  });
  afterEach(async () => {
    await helper.unload();
  });
  return services;
}
