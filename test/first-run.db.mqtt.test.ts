/**
 * Issue #18's pieces on real Postgres and a real broker: the first operator made from the editor
 * (only while none exists, one under concurrency), the sign-in page's notice, who may read /metrics,
 * and the config nodes' connection tests (never repeating a password).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Pool } from 'pg';
import { AuthService } from '../lib/auth/auth-service';
import { createFirstOperator, operatorSetup } from '../lib/auth/first-operator';
import { SESSION_COOKIE } from '../lib/auth/http-auth';
import { migrate } from '../lib/db/migrate';
import { scrapeAllowed } from '../lib/metrics/metrics-route';
import { testBrokerConnection, testDatabaseConnection } from '../lib/util/connection-test';
import { setupNotice } from '../nodes/octopus-dashboard/login-routes';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL } from './support/env';

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('first run: operator from the editor, sign-in notice, /metrics access, connection tests', function () {
  this.timeout(30000);
  let db: TestDatabase;
  let pool: Pool;
  let auth: AuthService;
  const password = 'first operator password';

  before(async () => {
    db = await createTestDatabase('octopus_first_run');
    pool = new Pool({ connectionString: db.url, max: 4 });
    await migrate(pool);
    auth = new AuthService({ database: () => Promise.resolve(pool) });
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('without a user store or an operator, says so (and the sign-in page tells how to make one)', async () => {
    assert.deepEqual(await operatorSetup(undefined), { state: 'no-user-store', detail: 'no octopus-postgres database node is deployed' });
    assert.match(setupNotice(await operatorSetup(undefined)), /Deploy a flow with an Octopus database node/);
    assert.deepEqual(await operatorSetup(auth), { state: 'needed' });
    assert.match(setupNotice({ state: 'needed' }), /No operator account exists yet.*live dashboard.*Create operator/s);
    assert.equal(setupNotice({ state: 'ready', operators: 1 }), '');
    assert.deepEqual(await createFirstOperator(undefined, 'ana', password), { ok: false, status: 503, error: 'no user store: deploy an octopus-postgres database node first' });
  });

  it('refuses bad names and weak passwords, then makes exactly one operator when two editors ask at once', async () => {
    assert.equal((await createFirstOperator(auth, 'has space', password)).ok, false);
    assert.equal((await createFirstOperator(auth, 'x'.repeat(65), password)).ok, false);
    assert.deepEqual(await createFirstOperator(auth, 'ana', 'short'), { ok: false, status: 400, error: 'a password needs at least 12 characters' });
    assert.equal((await createFirstOperator(auth, 'ana', 42)).ok, false);
    const both = await Promise.all([createFirstOperator(auth, 'ana', password), createFirstOperator(auth, 'bea', password)]);
    assert.deepEqual(both.map((r) => r.ok).sort(), [false, true]);
    const refused = both.find((r) => !r.ok);
    assert.equal(refused && !refused.ok && refused.status, 409);
    assert.deepEqual(await operatorSetup(auth), { state: 'ready', operators: 1 });
    const made = both.find((r) => r.ok);
    assert.ok(made?.ok);
    const login = await auth.login(made.username, password, '10.0.0.1');
    assert.ok(login.ok && login.user.operator, 'the new operator signs in at once');
    assert.equal((await createFirstOperator(auth, 'carla', password)).ok, false, 'never while an operator exists');
  });

  it('/metrics: the token or an operator, nobody else (no token set: operators only)', async () => {
    const operatorName = (await pool.query<{ username: string }>('select username from auth_users where operator')).rows[0].username;
    const op = await auth.login(operatorName, password, '10.0.0.2');
    await auth.createUser({ username: 'resident', password, operator: false, sites: new Map([['casa', 'resident']]) });
    const resident = await auth.login('resident', password, '10.0.0.2');
    assert.ok(op.ok && resident.ok);
    const env = { OCTOPUS_METRICS_TOKEN: 'scrape-token-for-this-test' };
    assert.equal(await scrapeAllowed(request({}), auth, {}), false, 'anonymous without a token set');
    assert.equal(await scrapeAllowed(request({}), auth, env), false, 'anonymous');
    assert.equal(await scrapeAllowed(request({ authorization: 'Bearer wrong' }), auth, env), false, 'a wrong token');
    assert.equal(await scrapeAllowed(request({ authorization: `Bearer ${env.OCTOPUS_METRICS_TOKEN}` }), auth, env), true, 'the token');
    assert.equal(await scrapeAllowed(request({ cookie: `${SESSION_COOKIE}=${resident.token}` }), auth, {}), false, 'a resident');
    assert.equal(await scrapeAllowed(request({ cookie: `${SESSION_COOKIE}=${op.token}` }), auth, {}), true, 'an operator, no token set');
  });

  it('tests a database connection: the version when it works, the reason without the password when not', async () => {
    const ok = await testDatabaseConnection(db.url);
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.match(ok.message, /^connected to postgres:.*PostgreSQL \d+/);
    const wrong = new URL(db.url);
    wrong.pathname = '/octopus_no_such_database';
    const wrongPassword = randomBytes(9).toString('hex');
    wrong.password = wrongPassword;
    const failed = await testDatabaseConnection(wrong.toString());
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && !failed.error.includes(wrongPassword), 'no password in the answer');
    assert.match(!failed.ok ? failed.error : '', /octopus_no_such_database/);
    assert.deepEqual(await testDatabaseConnection('mysql://x@y/z'), { ok: false, error: 'database URL scheme mysql: is not postgres: or postgresql:' });
  });

  it('tests a broker connection: connected, or why not', async () => {
    const ok = await testBrokerConnection({ url: MQTT_TEST_URL });
    assert.deepEqual(ok, { ok: true, message: `connected to ${MQTT_TEST_URL}` });
    const brokerPassword = randomBytes(9).toString('hex');
    const closed = await testBrokerConnection({ url: 'mqtt://127.0.0.1:1', username: 'ingest', password: brokerPassword }, 2000);
    assert.equal(closed.ok, false);
    assert.ok(!closed.ok && /ECONNREFUSED/.test(closed.error) && !closed.error.includes(brokerPassword));
    assert.equal((await testBrokerConnection({ url: 'http://example.org' })).ok, false);
  });
});
