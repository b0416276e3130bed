import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, type RunningApp } from './support/app';
import { adminApiToken, login } from './support/auth';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL } from './support/env';

/** `npm start` with no operator configured: it makes one, prints its password once, keeps only the hash. */
describe('first start without OCTOPUS_ADMIN_USER/PASSWORD', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let app: RunningApp | undefined;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await app?.stop();
    await db.drop();
  });

  it('creates the operator "admin" with a random password, printed once, its bcrypt hash under data/; it opens the editor and /api', async () => {
    const env = { MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url, OCTOPUS_ADMIN_USER: undefined, OCTOPUS_ADMIN_PASSWORD: undefined };
    app = await startApp(env);
    const printed = /\[octopus\] {3}password: (\S+)/.exec(app.output());
    assert.ok(printed, `no password printed:\n${app.output()}`);
    const password = printed[1];
    assert.ok(password.length >= 20);
    const file = join(app.dataDir, 'admin.json');
    const stored = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!stored.includes(password), 'the password itself is not stored');
    assert.match((JSON.parse(stored) as { passwordHash: string }).passwordHash, /^\$2[aby]\$\d\d\$/);

    // The same account opens the editor's admin API and the web API; a wrong password opens neither.
    const token = await adminApiToken(app.baseUrl, 'admin', password);
    assert.equal((await fetch(`${app.baseUrl}/flows`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    await assert.rejects(adminApiToken(app.baseUrl, 'admin', `${password}x`));
    const web = await login(app.baseUrl, 'admin', password);
    assert.equal((await web.fetch('/api/v1/auth/me')).status, 200);
    assert.equal((await fetch(`${app.baseUrl}/api/v1/sites`)).status, 401);

    // A restart keeps the account and prints no password again.
    assert.equal(await app.stop(), 0);
    app = await startApp(env, { dataDir: app.dataDir });
    assert.doesNotMatch(app.output(), /password:/);
    assert.match(app.output(), /operator "admin" from .*admin\.json/);
    await login(app.baseUrl, 'admin', password);
  });
});
