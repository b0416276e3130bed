import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { mosquittoProcess, startDynsecMosquitto, type DynsecTestBroker, type MosquittoProcess } from './support/mosquitto';
import { onboardHouse, tasmotaPlugFlow, type OnboardedHouse } from './support/onboarding-flow';
import { freePort } from './support/ports';

/**
 * Onboarding through the REST API with the real app: houses, an invited owner, a Tasmota plug
 * set up with the console commands it was given, revocation; on Mosquitto with the project's
 * config (dynamic security plugin), and a hub bundle bridged over TLS. The same flow on the embedded
 * broker of npm start runs in onboarding.browser.test.ts, beside the browser (one app for both).
 */
describe('onboarding on Mosquitto with the dynamic security plugin', function () {
  this.timeout(120000);
  const run = randomBytes(3).toString('hex');
  let broker: DynsecTestBroker;
  let db: TestDatabase;
  let app: RunningApp;
  let house: OnboardedHouse;
  let hub: MosquittoProcess | undefined;

  before(async () => {
    broker = await startDynsecMosquitto();
    db = await createTestDatabase('octopus_onboarding');
    app = await startApp({
      MQTT_URL: broker.url,
      DATABASE_URL: db.url,
      OCTOPUS_MQTT_ADMIN_USER: broker.admin.username,
      OCTOPUS_MQTT_ADMIN_PASSWORD: broker.admin.password,
      OCTOPUS_DEVICE_MQTT_TLS_PORT: String(broker.tlsPort),
      OCTOPUS_MQTT_CA_FILE: broker.ca.caCert,
    });
    await waitFor(() => /connected to mqtt/.test(app.output()), 15000, 'the app on the broker');
    house = await onboardHouse(app, `home${run}`);
  });
  after(async () => {
    await hub?.stop();
    await app?.stop();
    await broker?.stop();
    await db?.drop();
  });

  it('a Tasmota plug added by its owner connects with its console commands, shows its first reading, stays in its house, takes a new password at once, and is cut off at once when revoked', async () => {
    await tasmotaPlugFlow(app, house, `elsewhere${run}`, broker.port);
  });

  it('a hub bundle from the API bridges a hub Mosquitto to the central broker over TLS', async () => {
    const made = await house.owner.json('POST', `/api/v1/sites/${house.site}/hubs`, { name: 'Attic hub' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const bundle = made.body.hubBundle;
    assert.match(bundle.caCert, /BEGIN CERTIFICATE/);
    const dir = mkdtempSync(join(tmpdir(), 'octopus-hub-bundle-'));
    writeFileSync(join(dir, 'central-ca.crt'), bundle.caCert);
    const localPort = await freePort();
    // The bundle as a hub would use it, with only the paths and the local port of this machine.
    const conf = (bundle.mosquittoConf as string)
      .replace('/mosquitto/config/certs/central-ca.crt', join(dir, 'central-ca.crt'))
      .replace(/^persistence_location .*$/m, `persistence_location ${dir}/`)
      .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${localPort} 127.0.0.1`)
      .replace(/^address .*$/m, `address 127.0.0.1:${broker.tlsPort}`)
      .replace(/^restart_timeout .*$/m, 'restart_timeout 1 2');
    assert.match(bundle.mosquittoConf, new RegExp(`^address 127\\.0\\.0\\.1:${broker.tlsPort}$`, 'm'), 'the central TLS address as the API says');
    writeFileSync(join(dir, 'hub.conf'), `user root\n${conf}`, { mode: 0o600 });
    const hubUrl = `mqtt://127.0.0.1:${localPort}`;
    hub = mosquittoProcess(join(dir, 'hub.conf'), async () => (await connectAsync(hubUrl, { reconnectPeriod: 0, connectTimeout: 1000 })).endAsync());
    await hub.start();
    const device = await connectAsync(hubUrl, { clientId: `${house.site}-t1`, reconnectPeriod: 300 });
    const operator = await app.login();
    await waitFor(
      async () => {
        await device.publishAsync('attic/t1/temperature', JSON.stringify({ value: 19.5, unit: '°C' }), { qos: 1 });
        return (await operator.json('GET', `/api/v1/devices/${encodeURIComponent(`${house.site}/attic/t1`)}`)).status === 200;
      },
      20000,
      'the hub device in the registry, below its house',
    );
    await device.endAsync();
  });
});
