import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { ensureAdminFile, readAdminFile } from '../lib/auth/admin-account';
import { AuthService } from '../lib/auth/auth-service';
import { bootstrapOperator } from '../lib/auth/bootstrap';
import { authorizeDashboard } from '../lib/auth/dashboard-viewer';
import { editorAdminAuth } from '../lib/auth/editor-auth';
import { migrate } from '../lib/db/migrate';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';

describe('auth: user store, sessions and tokens on real Postgres', function () {
  this.timeout(30000);
  let db: TestDatabase;
  let pool: Pool;
  let auth: AuthService;
  const password = 'a long enough password';

  before(async () => {
    db = await createTestDatabase('octopus_auth');
    pool = new Pool({ connectionString: db.url, max: 3 });
    await migrate(pool);
    auth = new AuthService({ database: () => Promise.resolve(pool), lockPolicy: { maxFailures: 3, baseLockMs: 60_000, maxLockMs: 600_000 } });
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('keeps only bcrypt hashes of passwords and SHA-256 hashes of session and API tokens', async () => {
    const u = await auth.createUser({ username: 'Ana', password, operator: false, sites: new Map([['casa', 'owner']]) });
    assert.ok(u);
    const login = await auth.login('ana', password, '10.0.0.1');
    assert.ok(login.ok);
    const { token } = await auth.createToken(u, { name: 't', role: 'viewer', sites: ['casa'], expiresAt: null });
    const dump = JSON.stringify((await pool.query("select * from auth_users, auth_sessions, auth_tokens")).rows);
    assert.ok(!dump.includes(password) && !dump.includes(login.token) && !dump.includes(token), 'no secret in the clear');
    assert.match((await pool.query('select password_hash from auth_users where username = $1', ['Ana'])).rows[0].password_hash, /^\$2[aby]\$11\$/);
    assert.equal(await auth.createUser({ username: 'ANA', password, operator: false, sites: new Map() }), undefined, 'names are unique regardless of case');
  });

  it('a session proves who it is until it expires; an expired or deleted one proves nothing', async () => {
    const login = await auth.login('Ana', password, '10.0.0.2');
    assert.ok(login.ok);
    const p = await auth.principal({ sessionToken: login.token });
    assert.deepEqual([p?.username, p?.via, p?.csrfToken, [...(p?.sites ?? [])]], ['Ana', 'session', login.csrfToken, [['casa', 'owner']]]);
    await pool.query("update auth_sessions set expires_at = now() - interval '1 second'");
    assert.equal(await auth.principal({ sessionToken: login.token }), undefined);
    assert.equal(await auth.store.purgeExpiredSessions() >= 1, true);
    const again = await auth.login('Ana', password, '10.0.0.2');
    assert.ok(again.ok);
    await auth.logout(again.token);
    assert.equal(await auth.principal({ sessionToken: again.token }), undefined);
    assert.equal(await auth.principal({ sessionToken: 'not-a-token' }), undefined);
  });

  it('tokens: expired, revoked, or of a disabled user prove nothing; a malformed one is not even looked up', async () => {
    const u = (await auth.store.userByName('ana'))!;
    const live = await auth.createToken(u, { name: 'live', role: 'owner', sites: ['casa'], expiresAt: Date.now() + 60_000 });
    const p = await auth.principal({ bearer: live.token });
    assert.deepEqual([p?.via, p?.tokenId, [...(p?.sites ?? [])]], ['token', live.record.id, [['casa', 'owner']]]);
    assert.ok((await auth.store.token(live.record.id))?.lastUsedAt);
    await pool.query('update auth_tokens set expires_at = now() - interval \'1 second\' where id = $1', [live.record.id]);
    assert.equal(await auth.principal({ bearer: live.token }), undefined);
    const revoked = await auth.createToken(u, { name: 'r', role: 'viewer', sites: ['casa'], expiresAt: null });
    assert.ok(await auth.store.revokeToken(revoked.record.id));
    assert.equal(await auth.principal({ bearer: revoked.token }), undefined);
    const kept = await auth.createToken(u, { name: 'k', role: 'viewer', sites: ['casa'], expiresAt: null });
    await auth.store.updateUser(u.id, { disabled: true });
    assert.equal(await auth.principal({ bearer: kept.token }), undefined);
    await auth.store.updateUser(u.id, { disabled: false });
    assert.ok(await auth.principal({ bearer: kept.token }));
    assert.equal(await auth.principal({ bearer: 'octo_' + 'x'.repeat(10) }), undefined);
  });

  it('wrong passwords lock the account in the database (so every instance sees it); unknown names lock too', async () => {
    await auth.createUser({ username: 'bob', password, operator: false, sites: new Map() });
    for (let i = 0; i < 2; i++) assert.deepEqual(await auth.login('bob', 'wrong password!', '10.0.1.1'), { ok: false, status: 401, error: 'wrong username or password' });
    const third = await auth.login('bob', 'wrong password!', '10.0.1.1');
    assert.deepEqual([third.ok, !third.ok && third.status, !third.ok && third.retryAfterS], [false, 429, 60]);
    assert.equal((await auth.login('bob', password, '10.0.1.2')).ok, false, 'locked even with the right password');
    const other = new AuthService({ database: () => Promise.resolve(pool) });
    assert.equal((await other.login('bob', password, '10.0.1.3')).ok, false, 'another instance sees the lock');
    await pool.query("update auth_users set locked_until = now() - interval '1 second' where username = 'bob'");
    assert.equal((await auth.login('bob', password, '10.0.1.2')).ok, true);
    assert.deepEqual((await auth.store.userByName('bob'))?.lock, { failures: 0, lockedUntil: null, lockouts: 0 });
    for (let i = 0; i < 3; i++) await auth.login('nobody', 'wrong password!', '10.0.1.4');
    const ghost = await auth.login('nobody', 'wrong password!', '10.0.1.4');
    assert.deepEqual([ghost.ok, !ghost.ok && ghost.status], [false, 429], 'an unknown name answers like a real locked one');
  });

  it('one address gets 20 attempts a minute, whatever the names', async () => {
    const limited = new AuthService({ database: () => Promise.resolve(pool), loginsPerMinute: 3 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await limited.login(`name${i}`, 'whatever password', '10.9.9.9'));
    assert.deepEqual(answers.map((a) => !a.ok && a.status), [401, 401, 401, 429]);
  });

  it('the dashboard hook: a session becomes a Viewer of its sites; an open stream loses its rights at logout', async () => {
    const carol = await auth.createUser({ username: 'carol', password, operator: false, sites: new Map([['casa', 'resident'], ['playa', 'viewer']]) });
    assert.ok(carol);
    const login = await auth.login('carol', password, '10.0.3.1');
    assert.ok(login.ok);
    const socket = new EventEmitter();
    const req = { headers: { cookie: `octopus_session=${login.token}` }, socket } as unknown as IncomingMessage;
    const authorize = authorizeDashboard(() => auth, 20);
    const viewer = await authorize(req);
    assert.ok(viewer);
    assert.deepEqual([viewer.canSee('casa'), viewer.canControl('casa'), viewer.canSee('playa'), viewer.canControl('playa'), viewer.canSee('otra')], [true, true, true, false, false]);
    assert.equal(await authorize({ headers: {}, socket: new EventEmitter() } as unknown as IncomingMessage), undefined);
    assert.equal(await authorizeDashboard(() => undefined)(req), undefined, 'no user store: nobody');
    await auth.logout(login.token);
    await waitFor(() => !viewer.canSee('casa'), 5000, 'the stream to lose its rights');
    socket.emit('close');
  });

  const editorConnections = async () =>
    Number((await pool.query("select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'octopus-editor-auth'", [db.name])).rows[0].n);

  it('the first operator: from the environment (its password wins), else seeded once from the admin file', async () => {
    assert.match((await bootstrapOperator(auth, { OCTOPUS_ADMIN_USER: 'weak', OCTOPUS_ADMIN_PASSWORD: 'admin' })).message, /refused \(a password needs at least 12 characters\)/);
    assert.equal(await auth.store.userByName('weak'), undefined);
    const env = { OCTOPUS_ADMIN_USER: 'boss', OCTOPUS_ADMIN_PASSWORD: 'first password here' };
    assert.match((await bootstrapOperator(auth, env)).message, /created/);
    assert.match((await bootstrapOperator(auth, env)).message, /unchanged/);
    assert.match((await bootstrapOperator(auth, { ...env, OCTOPUS_ADMIN_PASSWORD: 'second password here' })).message, /updated/);
    assert.equal((await auth.login('boss', 'second password here', '10.0.2.1')).ok, true);
    assert.equal((await auth.store.userByName('boss'))?.operator, true);

    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-admin-'));
    const made = await ensureAdminFile(dataDir, 'root');
    assert.ok(made.newPassword && made.newPassword.length >= 20);
    assert.equal(statSync(made.path).mode & 0o777, 0o600);
    assert.ok(!readFileSync(made.path, 'utf8').includes(made.newPassword), 'only the hash is written');
    assert.equal((await ensureAdminFile(dataDir, 'root')).newPassword, undefined, 'made once');
    assert.deepEqual(readAdminFile(made.path), made.file);
    assert.match((await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir })).message, /operator "root" from the admin file: created/);
    assert.equal((await auth.login('root', made.newPassword, '10.0.2.2')).ok, true);
    // A password changed over the API stays changed at the next start.
    const root = (await auth.store.userByName('root'))!;
    const { hashPassword } = await import('../lib/auth/passwords');
    await auth.store.updateUser(root.id, { passwordHash: await hashPassword('a changed password') });
    assert.match((await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir })).message, /unchanged/);
    assert.equal((await auth.login('root', 'a changed password', '10.0.2.2')).ok, true);

    // The editor: operators only; the file's operator is checked against the store, which has the changed password.
    const editor = editorAdminAuth({ dataDir, env: { DATABASE_URL: db.url } });
    try {
      assert.deepEqual(await editor.authenticate('root', 'a changed password'), { username: 'root', permissions: '*' });
      assert.equal(await editor.authenticate('root', made.newPassword), null);
      assert.equal(await editor.authenticate('Ana', password), null, 'not an operator');
      assert.deepEqual(await editor.users('boss'), { username: 'boss', permissions: '*' });
      assert.equal(await editor.users('Ana'), null);
      assert.ok((await editorConnections()) > 0, 'the editor auth has its own pool open');
    } finally {
      await editor.close();
    }
    // Ended by its owner, so nothing holds the database (dropping it in `after` does not wait).
    await waitFor(async () => (await editorConnections()) === 0, 5000, 'the editor auth pool to end');
    // Without a store the file is the only way in, until it seeded a store (whose password then wins);
    // with nothing configured there is none.
    assert.equal(await editorAdminAuth({ dataDir, env: {} }).authenticate('root', made.newPassword), null, 'seeded: the store decides');
    const unseededDir = mkdtempSync(join(tmpdir(), 'octopus-admin-'));
    const unseeded = await ensureAdminFile(unseededDir, 'root');
    const fileOnly = editorAdminAuth({ dataDir: unseededDir, env: {} });
    assert.deepEqual(await fileOnly.authenticate('root', unseeded.newPassword as string), { username: 'root', permissions: '*' });
    assert.equal(await editorAdminAuth({ dataDir: mkdtempSync(join(tmpdir(), 'octopus-none-')), env: {} }).authenticate('admin', ''), null);
  });
});
