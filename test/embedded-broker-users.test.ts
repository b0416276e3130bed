import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planUsers } from '../lib/mqtt-auth/user-plan';
import { devCredentialsPath, embeddedBrokerUsers, readDevCredentials } from '../scripts/embedded/broker-users';

describe("the embedded broker's users (npm start without MQTT_URL)", () => {
  it('makes the ingest user from MQTT_USERNAME / MQTT_PASSWORD or a random password, and a simulator user kept across starts', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-embedded-users-'));
    const first = embeddedBrokerUsers(dataDir, 'mqtt://127.0.0.1:1883', {});
    assert.equal(first.ingest.username, 'octopus');
    assert.ok(first.auth.authenticate('octopus', first.ingest.password));
    const dev = readDevCredentials(dataDir);
    assert.ok(dev);
    assert.equal(statSync(devCredentialsPath(dataDir)).mode & 0o777, 0o600);
    assert.ok(first.auth.authenticate(dev.username, dev.password), 'the simulator logs in');

    const second = embeddedBrokerUsers(dataDir, 'mqtt://127.0.0.1:1884', { MQTT_USERNAME: 'nodered', MQTT_PASSWORD: 'from-env' });
    assert.notEqual(second.ingest.password, first.ingest.password);
    assert.ok(second.auth.authenticate('nodered', 'from-env'));
    assert.equal(second.auth.authenticate('octopus', first.ingest.password), undefined, "the last start's password is gone");
    assert.deepEqual(readDevCredentials(dataDir), { ...dev, url: 'mqtt://127.0.0.1:1884' }, 'same simulator password, new URL');
  });

  it('takes the houses of data/mqtt/passwd, made by npm run mqtt:users -- --dir data/mqtt', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-embedded-users-'));
    const plan = planUsers({ existingPasswordFile: '', houses: ['casa9'], ingestUser: 'octopus' });
    mkdirSync(join(dataDir, 'mqtt'));
    writeFileSync(join(dataDir, 'mqtt', 'passwd'), plan.passwordFile);
    const { auth } = embeddedBrokerUsers(dataDir, 'mqtt://127.0.0.1:1883', {});
    const hub = plan.newCredentials.find((c) => c.username === 'casa9-hub');
    const rules = auth.authenticate('casa9-hub', hub?.password);
    assert.ok(rules);
    assert.equal(auth.canPublish(rules, 'casa9/salon/t1/temperature'), true);
    assert.equal(auth.canPublish(rules, 'casa1/salon/t1/temperature'), false);
  });
});
