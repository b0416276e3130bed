import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Pool } from 'pg';
import { registerApiRoutes } from '../lib/api/routes';
import { ensureAdminFile, readAdminFile } from '../lib/auth/admin-account';
import { AuthService } from '../lib/auth/auth-service';
import { bootstrapOperator } from '../lib/auth/bootstrap';
import { clientAddress } from '../lib/auth/http-auth';
import { editorAdminAuth } from '../lib/auth/editor-auth';
import { hashPassword } from '../lib/auth/passwords';
import { migrate } from '../lib/db/migrate';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * Issue #15: what an API token, a stolen session or a deploy must not be able to make of an
 * account. Real Postgres, the real /api/v1 routes on express.
 */
interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Caller = (method: string, path: string, body?: unknown) => Promise<Answer>;

describe('auth escalation: tokens act within their scope, password changes end other credentials (real Postgres)', function () {
  this.timeout(30000);
  const suffix = randomBytes(3).toString('hex');
  const casa = `casa-${suffix}`;
  const playa = `playa-${suffix}`;
  const password = randomBytes(18).toString('base64url');
  let db: TestDatabase;
  let pool: Pool;
  let auth: AuthService;
  let server: Server;
  let baseUrl = '';

  const call =
    (headers: Record<string, string>): Caller =>
    async (method, path, body) => {
      const res = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
    };
  const anonymous = call({});
  const withToken = (token: string) => call({ Authorization: `Bearer ${token}` });
  const signIn = async (username: string, secret: string): Promise<{ call: Caller; cookie: string }> => {
    const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: secret }) });
    const body = (await res.json()) as { csrfToken: string };
    assert.equal(res.status, 200, `login as ${username}: ${JSON.stringify(body)}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    return { cookie, call: call({ Cookie: cookie, 'X-CSRF-Token': body.csrfToken }) };
  };
  const canSignIn = async (username: string, secret: string) => (await anonymous('POST', '/auth/login', { username, password: secret })).status === 200;
  const expect = (a: Answer, status: number, pattern?: RegExp) => {
    assert.equal(a.status, status, `expected ${status}, got ${a.status}: ${JSON.stringify(a.body)}`);
    if (pattern) assert.match(a.body.error, pattern);
  };
  const makeUser = async (username: string, operator: boolean, sites: Record<string, 'owner' | 'resident' | 'viewer'>) => {
    const u = await auth.createUser({ username, password, operator, sites: new Map(Object.entries(sites)) });
    assert.ok(u);
    return u;
  };

  before(async () => {
    db = await createTestDatabase('octopus_escalation');
    pool = new Pool({ connectionString: db.url, max: 4 });
    await migrate(pool);
    auth = new AuthService({ database: () => Promise.resolve(pool), loginsPerMinute: 1000 });
    const app = express();
    registerApiRoutes(app, () => undefined, { auth: () => auth });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await pool?.end();
    await db?.drop();
  });

  it('a viewer token of an operator cannot change the operator\'s password: 403, the old password still signs in, the new one opens neither the API nor the editor', async () => {
    const opName = `op-${suffix}`;
    const op = await makeUser(opName, true, {});
    const { call: opSession } = await signIn(opName, password);
    const made = await opSession('POST', '/tokens', { name: 'read-only', role: 'viewer', sites: [casa] });
    expect(made, 201);
    const script = withToken(made.body.token);
    const stolen = `${password}-taken-over`;
    expect(await script('PATCH', `/users/${op.id}`, { password: stolen }), 403, /session/);
    expect(await script('PATCH', `/users/${op.id}`, { password: stolen, currentPassword: password }), 403, /session/);
    assert.equal(await canSignIn(opName, stolen), false);
    assert.equal(await canSignIn(opName, password), true);
    const editor = editorAdminAuth({ dataDir: mkdtempSync(join(tmpdir(), 'octopus-escalation-')), env: { DATABASE_URL: db.url } });
    try {
      assert.equal(await editor.authenticate(opName, stolen), null);
    } finally {
      await editor.close();
    }
  });

  it('an operator token cannot change its own user\'s password either; it may still reset another user\'s', async () => {
    const opName = `op2-${suffix}`;
    const op = await makeUser(opName, true, {});
    const other = await makeUser(`reset-me-${suffix}`, false, { [casa]: 'viewer' });
    const { token } = await auth.createToken(op, { name: 'ops', role: 'operator', sites: [], expiresAt: null });
    const script = withToken(token);
    expect(await script('PATCH', `/users/${op.id}`, { password: `${password}-x`, currentPassword: password }), 403, /session/);
    expect(await script('PATCH', `/users/${other.id}`, { password: `${password}-reset` }), 200);
    assert.equal(await canSignIn(other.username, `${password}-reset`), true);
  });

  it('changing one\'s own password needs the current password', async () => {
    const name = `self-${suffix}`;
    const u = await makeUser(name, false, { [casa]: 'resident' });
    const { call: me } = await signIn(name, password);
    expect(await me('PATCH', `/users/${u.id}`, { password: `${password}-new` }), 400, /currentPassword/);
    expect(await me('PATCH', `/users/${u.id}`, { password: `${password}-new`, currentPassword: `${password}-wrong` }), 403, /current password/);
    assert.equal(await canSignIn(name, `${password}-new`), false);
    expect(await me('PATCH', `/users/${u.id}`, { password: `${password}-new`, currentPassword: password }), 200);
    assert.equal(await canSignIn(name, `${password}-new`), true);
  });

  it('after a password change every other session and every API token of the user stop working; the session that made it stays', async () => {
    const name = `many-${suffix}`;
    const u = await makeUser(name, false, { [casa]: 'owner' });
    const changer = await signIn(name, password);
    const other = await signIn(name, password);
    const t1 = await changer.call('POST', '/tokens', { name: 'one', role: 'viewer', sites: [casa] });
    const t2 = await changer.call('POST', '/tokens', { name: 'two', role: 'owner', sites: [casa] });
    for (const t of [t1, t2]) expect(await withToken(t.body.token)('GET', '/auth/me'), 200);
    expect(await changer.call('PATCH', `/users/${u.id}`, { password: `${password}-2`, currentPassword: password }), 200);
    expect(await changer.call('GET', '/auth/me'), 200);
    expect(await other.call('GET', '/auth/me'), 401);
    for (const t of [t1, t2]) expect(await withToken(t.body.token)('GET', '/auth/me'), 401);
    const tokens = await changer.call('GET', '/tokens');
    assert.ok(tokens.body.items.every((t: { revokedAt: string | null }) => t.revokedAt !== null), 'listed as revoked');

    // A reset by someone who manages the user ends all of the user's sessions and tokens.
    const opName = `op3-${suffix}`;
    await makeUser(opName, true, {});
    const { call: op } = await signIn(opName, password);
    const t3 = await changer.call('POST', '/tokens', { name: 'three', role: 'viewer', sites: [casa] });
    expect(await op('PATCH', `/users/${u.id}`, { password: `${password}-3` }), 200);
    expect(await changer.call('GET', '/auth/me'), 401);
    expect(await withToken(t3.body.token)('GET', '/auth/me'), 401);
    expect(await op('GET', '/auth/me'), 200);
  });

  it('a token below what account management needs cannot make users, give roles, make tokens or revoke others\' tokens; an owner token stays within its site', async () => {
    const ownerName = `owner-${suffix}`;
    const owner = await makeUser(ownerName, false, { [casa]: 'owner', [playa]: 'owner' });
    const member = await makeUser(`member-${suffix}`, false, { [casa]: 'viewer' });
    const { call: session } = await signIn(ownerName, password);
    const viewerToken = (await session('POST', '/tokens', { name: 'v', role: 'viewer', sites: [casa] })).body;
    const residentToken = (await session('POST', '/tokens', { name: 'r', role: 'resident', sites: [casa] })).body;
    const ownerToken = (await session('POST', '/tokens', { name: 'o', role: 'owner', sites: [casa], expiresAt: new Date(Date.now() + 3_600_000).toISOString() })).body;
    for (const t of [viewerToken, residentToken]) {
      const script = withToken(t.token);
      expect(await script('POST', '/users', { username: `made-${suffix}-${t.details.name}`, password, sites: { [casa]: 'viewer' } }), 403);
      expect(await script('PUT', `/users/${member.id}/sites/${casa}`, { role: 'owner' }), 404);
      expect(await script('PUT', `/users/${owner.id}/sites/${casa}`, { role: 'owner' }), 403);
      expect(await script('PATCH', `/users/${member.id}`, { password: `${password}-m` }), 404);
      expect(await script('POST', '/tokens', { name: 'child', role: 'viewer', sites: [casa] }), 403);
      expect(await script('DELETE', `/tokens/${ownerToken.details.id}`), 403);
      const listed = await script('GET', '/tokens');
      assert.deepEqual(listed.body.items.map((x: { id: number }) => x.id), [t.details.id], 'a token below owner sees only itself');
    }
    // The owner token manages the users of its site, nothing at the owner's other site.
    const ownerScript = withToken(ownerToken.token);
    expect(await ownerScript('POST', '/users', { username: `made-${suffix}-casa`, password, sites: { [casa]: 'viewer' } }), 201);
    expect(await ownerScript('POST', '/users', { username: `made-${suffix}-playa`, password, sites: { [playa]: 'viewer' } }), 403);
    expect(await ownerScript('POST', '/tokens', { name: 'far', role: 'viewer', sites: [playa] }), 403);
    // A token it makes never outlives it.
    const child = await ownerScript('POST', '/tokens', { name: 'child', role: 'viewer', sites: [casa] });
    expect(child, 201);
    assert.equal(child.body.details.expiresAt, ownerToken.details.expiresAt);
    expect(await ownerScript('POST', '/tokens', { name: 'long', role: 'viewer', sites: [casa], expiresAt: new Date(Date.now() + 7_200_000).toISOString() }), 403, /outlive/);
    // A token may always revoke itself.
    expect(await withToken(viewerToken.token)('DELETE', `/tokens/${viewerToken.details.id}`), 204);
    expect(await withToken(viewerToken.token)('GET', '/auth/me'), 401);
  });

  describe('the configured operator (bootstrap) and the editor', () => {
    const newDataDir = () => mkdtempSync(join(tmpdir(), 'octopus-escalation-'));

    it('a start never promotes an account it did not make: a name taken after the operator was deleted, or before it was made, stays what it is', async () => {
      const env = { OCTOPUS_ADMIN_USER: `chief-${suffix}`, OCTOPUS_ADMIN_PASSWORD: password };
      assert.match((await bootstrapOperator(auth, env)).message, /created/);
      const made = (await auth.store.userByName(env.OCTOPUS_ADMIN_USER))!;
      assert.ok(await auth.store.deleteUser(made.id));
      // An owner makes a user of that name at their site; the next deploy must not make it an operator.
      const squatter = await makeUser(env.OCTOPUS_ADMIN_USER.toUpperCase(), false, { [casa]: 'viewer' });
      const answer = await bootstrapOperator(auth, env);
      assert.equal(answer.level, 'warn', answer.message);
      const after = (await auth.store.userById(squatter.id))!;
      assert.deepEqual([after.operator, after.passwordHash], [false, squatter.passwordHash]);

      // A name taken before any start made it.
      const early = await makeUser(`early-${suffix}`, false, { [casa]: 'owner' });
      assert.equal((await bootstrapOperator(auth, { OCTOPUS_ADMIN_USER: early.username, OCTOPUS_ADMIN_PASSWORD: `${password}-env` })).level, 'warn');
      assert.equal((await auth.store.userById(early.id))!.operator, false);
      assert.equal(await canSignIn(early.username, `${password}-env`), false);
    });

    it('the admin file seeds its operator once: a deleted one is not made again, nor its name promoted', async () => {
      const dataDir = newDataDir();
      const first = await ensureAdminFile(dataDir, `root-${suffix}`);
      assert.match((await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir })).message, /created/);
      const root = (await auth.store.userByName(first.file.username))!;
      assert.ok(await auth.store.deleteUser(root.id));
      await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir });
      assert.equal(await auth.store.userByName(first.file.username), undefined, 'not made again');
      const squatter = await makeUser(first.file.username, false, { [casa]: 'owner' });
      await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir });
      assert.equal((await auth.store.userById(squatter.id))!.operator, false);
    });

    it('the editor: once the store has the admin file\'s operator, the store\'s password wins, also when the store is down or the account is gone', async () => {
      const dataDir = newDataDir();
      const { file, newPassword } = await ensureAdminFile(dataDir, `ed-${suffix}`);
      assert.ok(newPassword);
      await bootstrapOperator(auth, { OCTOPUS_DATA_DIR: dataDir });
      assert.ok(readAdminFile(join(dataDir, 'admin.json'))?.seededAt, 'the file says it seeded the store');
      const user = (await auth.store.userByName(file.username))!;
      await auth.store.updateUser(user.id, { passwordHash: await hashPassword(`${password}-changed`) });

      // The store is down: the file's old password opens nothing.
      const down = editorAdminAuth({ dataDir, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' } });
      try {
        assert.equal(await down.authenticate(file.username, newPassword), null);
      } finally {
        await down.close();
      }
      // No DATABASE_URL (the pack in another Node-RED): the deployed user store decides.
      {
        const stock = editorAdminAuth({ dataDir, env: {} });
        // What the Octopus runtime does when it is made (nodes/octopus-runtime.ts): its user store.
        stock.useWebUserStore(() => auth);
        assert.equal(await stock.authenticate(file.username, newPassword), null);
        assert.deepEqual(await stock.authenticate(file.username, `${password}-changed`), { username: file.username, permissions: '*' });
      }
      // The account was deleted: the file does not bring it back.
      assert.ok(await auth.store.deleteUser(user.id));
      const editor = editorAdminAuth({ dataDir, env: { DATABASE_URL: db.url } });
      try {
        assert.equal(await editor.authenticate(file.username, newPassword), null);
        assert.equal(await editor.users(file.username), null);
      } finally {
        await editor.close();
      }
    });
  });

  describe('login throttling', () => {
    it('behind a trusted proxy the address counted is the one the proxy added (right-most X-Forwarded-For), not one the client chose', () => {
      const saved = process.env.OCTOPUS_TRUST_PROXY;
      process.env.OCTOPUS_TRUST_PROXY = '1';
      try {
        const req = (xff: string) => ({ headers: { 'x-forwarded-for': xff }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
        assert.equal(clientAddress(req('1.2.3.4, 203.0.113.7')), '203.0.113.7');
        assert.equal(clientAddress(req(`${randomBytes(4).join('.')}, 203.0.113.7`)), '203.0.113.7', 'a new made-up address per attempt does not make a new bucket');
        assert.equal(clientAddress(req('203.0.113.8')), '203.0.113.8');
      } finally {
        if (saved === undefined) delete process.env.OCTOPUS_TRUST_PROXY;
        else process.env.OCTOPUS_TRUST_PROXY = saved;
      }
    });

    it('wrong editor passwords for other names do not use up an operator\'s editor logins', async () => {
      const opName = `edop-${suffix}`;
      await makeUser(opName, true, {});
      const others = await Promise.all([0, 1, 2, 3, 4].map((i) => makeUser(`edx-${i}-${suffix}`, false, { [casa]: 'viewer' })));
      const editor = editorAdminAuth({ dataDir: mkdtempSync(join(tmpdir(), 'octopus-escalation-')), env: { DATABASE_URL: db.url } });
      try {
        // 20 wrong passwords, four per name: none of those accounts locks, and they are not the operator's.
        for (const u of others) for (let i = 0; i < 4; i++) assert.equal(await editor.authenticate(u.username, `${password}-wrong-${i}`), null);
        assert.deepEqual(await editor.authenticate(opName, password), { username: opName, permissions: '*' });
      } finally {
        await editor.close();
      }
    });

    it('parallel wrong passwords each count: the account locks after the limit however they arrive', async () => {
      const name = `race-${suffix}`;
      await makeUser(name, false, { [casa]: 'viewer' });
      const racing = new AuthService({ database: () => Promise.resolve(pool), loginsPerMinute: 1000, lockPolicy: { maxFailures: 5, baseLockMs: 60_000, maxLockMs: 600_000 } });
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => racing.login(name, `${password}-guess-${i}`, `198.51.100.${i}`)));
      assert.ok(answers.every((a) => !a.ok));
      const after = (await auth.store.userByName(name))!;
      assert.ok(after.lock.lockouts >= 1 && after.lock.lockedUntil !== null && after.lock.lockedUntil > Date.now(), `locked: ${JSON.stringify(after.lock)}`);
      const right = await racing.login(name, password, '198.51.100.99');
      assert.deepEqual([right.ok, !right.ok && right.status], [false, 429]);
    });
  });
});
