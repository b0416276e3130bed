import assert from 'node:assert/strict';
import { adminFromEnv } from '../lib/auth/admin-account';
import { afterFailure, afterSuccess, lockedFor, RateLimiter, UNLOCKED, type LockPolicy } from '../lib/auth/lockout';
import { passwordProblem } from '../lib/auth/passwords';
import {
  can,
  canAssignAt,
  canManageUser,
  canSeeUser,
  tokenGrants,
  tokenScopeProblem,
  visibleRoles,
  visibleSites,
  type Principal,
  type SiteRole,
  type UserFacts,
} from '../lib/auth/permissions';
import { hashToken, isApiToken, isSessionToken, newApiToken, newCsrfToken, newSessionToken, randomPassword, sameSecret } from '../lib/auth/tokens';

const principal = (userId: number, sites: Record<string, SiteRole>, operator = false): Principal => ({
  userId,
  username: `u${userId}`,
  operator,
  sites: new Map(Object.entries(sites)),
  via: 'session',
});
const user = (id: number, sites: Record<string, SiteRole>, operator = false): UserFacts => ({ id, operator, sites: new Map(Object.entries(sites)) });

describe('auth: permission model', () => {
  const operator = principal(1, {}, true);
  const ownerA = principal(2, { a: 'owner' });
  const residentA = principal(3, { a: 'resident' });
  const viewerA = principal(4, { a: 'viewer' });
  const ownerB = principal(5, { b: 'owner' });

  it('roles rank viewer < resident < owner, per site; operators may everything everywhere', () => {
    const table = [operator, ownerA, residentA, viewerA, ownerB].map((p) =>
      (['see', 'control', 'manage'] as const).map((action) => `${can(p, action, 'a') ? 'y' : 'n'}${can(p, action, 'b') ? 'y' : 'n'}`).join(' '),
    );
    assert.deepEqual(table, ['yy yy yy', 'yn yn yn', 'yn yn nn', 'yn nn nn', 'ny ny ny']);
    assert.equal(visibleSites(operator), 'all');
    assert.deepEqual(visibleSites(principal(9, { z: 'viewer', c: 'owner' })), ['c', 'z']);
    assert.equal(can(principal(9, {}), 'see', ''), false);
  });

  it('owners see and manage only users whose roles are all at their sites; never operators', () => {
    const residentOfA = user(3, { a: 'resident' });
    const both = user(6, { a: 'viewer', b: 'viewer' });
    const ofB = user(7, { b: 'resident' });
    const op = user(1, {}, true);
    assert.deepEqual([canSeeUser(ownerA, residentOfA), canSeeUser(ownerA, both), canSeeUser(ownerA, ofB), canSeeUser(ownerA, op)], [true, true, false, false]);
    assert.deepEqual([canManageUser(ownerA, residentOfA), canManageUser(ownerA, both), canManageUser(ownerA, ofB), canManageUser(ownerA, op)], [true, false, false, false]);
    assert.equal(canManageUser(residentA, residentOfA), false);
    assert.equal(canManageUser(operator, op), true);
    assert.equal(canManageUser(ownerA, user(8, {})), false, 'a user with no site belongs to no owner');
    assert.deepEqual([canAssignAt(ownerA, 'a', both), canAssignAt(ownerA, 'b', both), canAssignAt(ownerA, 'a', op), canAssignAt(operator, 'b', op)], [true, false, false, true]);
    assert.deepEqual([...visibleRoles(ownerA, both)], [['a', 'viewer']], 'an owner is not told about roles in other houses');
    assert.deepEqual([...visibleRoles(principal(6, {}), both)].length, 2, 'a user sees all of their own roles');
  });

  it('a token never does more than its maker may now, nor beyond its own scope', () => {
    const g = (p: { operator: boolean; sites: ReadonlyMap<string, SiteRole> }) => (p.operator ? 'operator' : JSON.stringify([...p.sites]));
    assert.equal(g(tokenGrants(ownerA, { role: 'resident', sites: ['a', 'b'] })), '[["a","resident"]]');
    assert.equal(g(tokenGrants(viewerA, { role: 'owner', sites: ['a'] })), '[["a","viewer"]]', 'maker demoted since: the token follows');
    assert.equal(g(tokenGrants(ownerA, { role: 'operator', sites: [] })), '[]', 'an operator token of a non-operator does nothing');
    assert.equal(g(tokenGrants(operator, { role: 'operator', sites: [] })), 'operator');
    assert.equal(g(tokenGrants(operator, { role: 'viewer', sites: ['z'] })), '[["z","viewer"]]');
    assert.equal(tokenScopeProblem(ownerA, 'resident', ['a']), undefined);
    assert.match(String(tokenScopeProblem(ownerA, 'resident', ['b'])), /cannot grant resident at b/);
    assert.match(String(tokenScopeProblem(viewerA, 'resident', ['a'])), /cannot grant resident at a/);
    assert.match(String(tokenScopeProblem(ownerA, 'operator', [])), /only operators/);
    assert.match(String(tokenScopeProblem(ownerA, 'viewer', [])), /at least one site/);
    assert.equal(tokenScopeProblem(operator, 'owner', ['anything']), undefined);
  });
});

describe('auth: lock-out state machine and rate limit', () => {
  const policy: LockPolicy = { maxFailures: 3, baseLockMs: 1000, maxLockMs: 3000 };

  it('locks after maxFailures in a row, each lock-out twice as long up to the maximum; success resets', () => {
    let s = UNLOCKED;
    const t0 = 1_000_000;
    s = afterFailure(s, t0, policy);
    s = afterFailure(s, t0, policy);
    assert.deepEqual([s.failures, lockedFor(s, t0)], [2, 0]);
    s = afterFailure(s, t0, policy);
    assert.deepEqual([s.failures, lockedFor(s, t0), s.lockouts], [0, 1000, 1]);
    assert.deepEqual(afterFailure(s, t0 + 500, policy), s, 'attempts while locked change nothing');
    let t = t0 + 1000;
    assert.equal(lockedFor(s, t), 0);
    for (let i = 0; i < 3; i++) s = afterFailure(s, t, policy);
    assert.equal(lockedFor(s, t), 2000);
    t += 2000;
    for (let i = 0; i < 3; i++) s = afterFailure(s, t, policy);
    assert.equal(lockedFor(s, t), 3000, 'capped');
    t += 3000;
    for (let i = 0; i < 3; i++) s = afterFailure(s, t, policy);
    assert.equal(lockedFor(s, t), 3000);
    assert.deepEqual(afterSuccess(), UNLOCKED);
  });

  it('the rate limiter allows `limit` per window per key, then says when to come back', () => {
    const r = new RateLimiter(2, 60_000);
    assert.deepEqual([r.take('x', 0), r.take('x', 1), r.take('y', 1)], [{ ok: true }, { ok: true }, { ok: true }]);
    assert.deepEqual(r.take('x', 10_000), { ok: false, retryAfterMs: 50_000 });
    assert.deepEqual(r.take('x', 60_000), { ok: true });
  });
});

describe('auth: token format and secrets', () => {
  it('session, CSRF and API tokens are 256-bit base64url; API tokens carry the octo_ prefix', () => {
    const api = newApiToken();
    assert.ok(isApiToken(api));
    assert.ok(!isApiToken(newSessionToken()));
    assert.ok(isSessionToken(newSessionToken()));
    assert.ok(isSessionToken(newCsrfToken()));
    assert.ok(!isSessionToken(`${newSessionToken()}x`));
    assert.ok(!isApiToken('octo_short'));
    assert.notEqual(newApiToken(), newApiToken());
    assert.equal(hashToken(api).length, 32);
    assert.deepEqual(hashToken(api), hashToken(api));
    assert.ok(sameSecret('abc', 'abc'));
    assert.ok(!sameSecret('abc', 'abd'));
    assert.ok(!sameSecret('abc', 'abcd'));
    assert.equal(randomPassword().length, 24);
  });

  it('passwords: at least 12 characters, at most 72 bytes (what bcrypt reads)', () => {
    assert.match(String(passwordProblem('short')), /at least 12/);
    assert.match(String(passwordProblem('ä'.repeat(40))), /at most 72 bytes/);
    assert.equal(passwordProblem('correct horse battery'), undefined);
  });

  it('the operator from the environment needs both variables', () => {
    assert.equal(adminFromEnv({ OCTOPUS_ADMIN_USER: 'x' }), undefined);
    assert.equal(adminFromEnv({ OCTOPUS_ADMIN_PASSWORD: 'x' }), undefined);
    assert.deepEqual(adminFromEnv({ OCTOPUS_ADMIN_USER: ' boss ', OCTOPUS_ADMIN_PASSWORD: 'pw' }), { username: 'boss', password: 'pw' });
  });
});
