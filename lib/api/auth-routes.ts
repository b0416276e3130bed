import type { TokenRecord, UserRecord } from '../auth/auth-store';
import { clearedSessionCookie, clientAddress, credentialsOf, originProblem, requirePrincipal, sessionCookie } from '../auth/http-auth';
import { lockedFor } from '../auth/lockout';
import { hashPassword, passwordProblem } from '../auth/passwords';
import { hashToken } from '../auth/tokens';
import {
  canAssignAt,
  canHandleToken,
  canManageUser,
  canSeeUser,
  tokenMakerProblem,
  tokenScopeProblem,
  visibleRoles,
  type Principal,
} from '../auth/permissions';
import type { AuthService } from '../auth/auth-service';
import type { ApiBodies } from './api-bodies';
import { HttpError, iso, readJsonBody, type ApiRequest } from './http';
import type { HttpMethod } from './openapi';
import type { Reply, RouteKit } from './route-kit';

/**
 * Sign-in, users and tokens under /api/v1 (documented in openapi.ts, bodies checked with ajv
 * against it). Who may manage whom is decided in lib/auth/permissions.ts.
 */
export function registerAuthRoutes(kit: RouteKit): void {
  const { serve, validators, getAuth } = kit;

  const store = () => {
    const auth = getAuth();
    if (!auth) throw new HttpError(503, 'sign-in is unavailable: no octopus-postgres database node is deployed');
    return auth;
  };

  const signedIn = (method: HttpMethod, path: string, handler: (ctx: { req: ApiRequest; auth: AuthService; me: Principal; path: Record<string, unknown> }) => Promise<Reply>) =>
    serve(method, path, async (req) => {
      const me = await requirePrincipal(getAuth, req);
      const { path: params } = kit.parameters(path, method, req);
      return handler({ req, auth: store(), me, path: params });
    });

  const body = async <K extends keyof ApiBodies>(schema: K, req: ApiRequest) => validators.body(schema, await readJsonBody(req));

  const userView = (me: Principal, u: UserRecord) => ({
    id: u.id,
    username: u.username,
    operator: u.operator,
    disabled: u.disabled,
    locked: lockedFor(u.lock, Date.now()) > 0,
    sites: Object.fromEntries(visibleRoles(me, u)),
    createdAt: iso(u.createdAt),
  });

  const tokenView = (t: TokenRecord) => ({
    id: t.id,
    name: t.name,
    username: t.username,
    role: t.role,
    sites: t.sites,
    createdAt: iso(t.createdAt),
    expiresAt: t.expiresAt === null ? null : iso(t.expiresAt),
    revokedAt: t.revokedAt === null ? null : iso(t.revokedAt),
    lastUsedAt: t.lastUsedAt === null ? null : iso(t.lastUsedAt),
  });

  const meView = async (auth: AuthService, me: Principal, expiresAt: number | null) => {
    const user = await auth.store.userById(me.userId);
    if (!user) throw new HttpError(401, 'sign in first');
    return {
      user: userView(me, user),
      via: me.via,
      csrfToken: me.csrfToken ?? null,
      operator: me.operator,
      sites: Object.fromEntries(me.sites),
      expiresAt: expiresAt === null ? null : iso(expiresAt),
    };
  };

  /** The user, if the caller may see them; else 404, as if there were none. */
  const visibleUser = async (auth: AuthService, me: Principal, id: unknown): Promise<UserRecord> => {
    const u = await auth.store.userById(Number(id));
    if (!u || !canSeeUser(me, u)) throw new HttpError(404, `no user ${String(id)}`);
    return u;
  };

  serve('post', '/auth/login', async (req): Promise<Reply> => {
    kit.parameters('/auth/login', 'post', req);
    const auth = store();
    // A login form posted from another site would sign the victim into the attacker's account.
    const problem = originProblem(req);
    if (problem) throw new HttpError(403, problem);
    const { username, password } = await body('LoginRequest', req);
    const result = await auth.login(username, password, clientAddress(req));
    if (!result.ok) {
      const headers: Record<string, string> = result.retryAfterS ? { 'Retry-After': String(result.retryAfterS) } : {};
      return { status: result.status, body: { error: result.error }, headers };
    }
    const me: Principal = { userId: result.user.id, username: result.user.username, operator: result.user.operator, sites: result.user.sites, via: 'session', csrfToken: result.csrfToken };
    return { status: 200, body: await meView(auth, me, result.expiresAt), headers: { 'Set-Cookie': sessionCookie(req, result.token, result.expiresAt) } };
  });

  signedIn('post', '/auth/logout', async ({ req, auth }) => {
    const { sessionToken } = credentialsOf(req);
    if (sessionToken) await auth.logout(sessionToken);
    return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(req) } };
  });

  signedIn('get', '/auth/me', async ({ req, auth, me }) => {
    const { sessionToken } = credentialsOf(req);
    const session = me.via === 'session' && sessionToken ? await auth.principal({ sessionToken }) : undefined;
    return { status: 200, body: await meView(auth, me, session ? await sessionExpiry(auth, sessionToken as string) : null) };
  });

  signedIn('get', '/users', async ({ auth, me }) => {
    if (me.operator) return { status: 200, body: { items: (await auth.store.listUsers()).map((u) => userView(me, u)) } };
    const owned = [...me.sites].filter(([, r]) => r === 'owner').map(([s]) => s);
    if (owned.length === 0) throw new HttpError(403, 'only operators and site owners manage users');
    return { status: 200, body: { items: (await auth.store.listUsers(owned)).map((u) => userView(me, u)) } };
  });

  signedIn('post', '/users', async ({ req, auth, me }) => {
    const b = await body('UserCreate', req);
    const sites = new Map(Object.entries(b.sites ?? {}));
    if (!me.operator) {
      if (b.operator) throw new HttpError(403, 'only operators make operators');
      if (sites.size === 0) throw new HttpError(403, 'give the user a role at a site you own');
      const foreign = [...sites.keys()].filter((s) => !canAssignAt(me, s));
      if (foreign.length > 0) throw new HttpError(403, `you do not own site ${foreign.join(', ')}`);
    }
    const weak = passwordProblem(b.password);
    if (weak) throw new HttpError(400, weak);
    const made = await auth.createUser({ username: b.username, password: b.password, operator: b.operator ?? false, sites });
    if (!made) throw new HttpError(409, `the username "${b.username}" is taken`);
    return { status: 201, body: userView(me, made) };
  });

  signedIn('get', '/users/{userId}', async ({ auth, me, path }) => ({ status: 200, body: userView(me, await visibleUser(auth, me, path.userId)) }));

  signedIn('patch', '/users/{userId}', async ({ req, auth, me, path }) => {
    const target = await visibleUser(auth, me, path.userId);
    const b = await body('UserPatch', req);
    if (b.password === undefined && b.disabled === undefined && b.operator === undefined) throw new HttpError(400, 'nothing to change: send password, disabled or operator');
    const self = target.id === me.userId;
    const onlyOwnPassword = self && b.disabled === undefined && b.operator === undefined;
    if (!onlyOwnPassword && !canManageUser(me, target)) throw new HttpError(403, 'you do not manage this user');
    if (b.operator !== undefined && !me.operator) throw new HttpError(403, 'only operators make or unmake operators');
    if (self && (b.disabled === true || b.operator === false)) throw new HttpError(409, 'you cannot disable or unmake yourself');
    let keepSession: Buffer | undefined;
    if (b.password !== undefined) {
      const weak = passwordProblem(b.password);
      if (weak) throw new HttpError(400, weak);
      if (self) {
        // Whoever holds a token or a session of the user must not be able to take the account over.
        if (me.via !== 'session') throw new HttpError(403, 'changing your own password needs a signed-in session, not an API token');
        if (b.currentPassword === undefined) throw new HttpError(400, 'send currentPassword to change your own password');
        const proof = await auth.checkCurrentPassword(target, b.currentPassword, clientAddress(req));
        if (!proof.ok && proof.status === 429) {
          const headers: Record<string, string> = proof.retryAfterS ? { 'Retry-After': String(proof.retryAfterS) } : {};
          return { status: 429, body: { error: proof.error }, headers };
        }
        if (!proof.ok) throw new HttpError(403, 'the current password is wrong');
        const { sessionToken } = credentialsOf(req);
        keepSession = sessionToken ? hashToken(sessionToken) : undefined;
      }
    }
    await auth.store.updateUser(
      target.id,
      { passwordHash: b.password === undefined ? undefined : await hashPassword(b.password), disabled: b.disabled, operator: b.operator },
      keepSession,
    );
    return { status: 200, body: userView(me, (await auth.store.userById(target.id)) as UserRecord) };
  });

  signedIn('delete', '/users/{userId}', async ({ auth, me, path }) => {
    const target = await visibleUser(auth, me, path.userId);
    if (!canManageUser(me, target)) throw new HttpError(403, 'you do not manage this user');
    if (target.id === me.userId) throw new HttpError(409, 'you cannot delete yourself');
    await auth.store.deleteUser(target.id);
    return { status: 204 };
  });

  signedIn('put', '/users/{userId}/sites/{site}', async ({ req, auth, me, path }) => {
    const target = await visibleUser(auth, me, path.userId);
    const site = String(path.site);
    if (!canAssignAt(me, site, target)) throw new HttpError(403, `you cannot give roles at site "${site}"`);
    const { role } = await body('SiteRoleRequest', req);
    await auth.store.setSiteRole(target.id, site, role);
    return { status: 200, body: userView(me, (await auth.store.userById(target.id)) as UserRecord) };
  });

  signedIn('delete', '/users/{userId}/sites/{site}', async ({ auth, me, path }) => {
    const target = await visibleUser(auth, me, path.userId);
    const site = String(path.site);
    if (!canAssignAt(me, site, target)) throw new HttpError(403, `you cannot take roles at site "${site}"`);
    if (!(await auth.store.removeSiteRole(target.id, site))) throw new HttpError(404, `user ${target.id} has no role at site "${site}"`);
    return { status: 204 };
  });

  signedIn('get', '/tokens', async ({ auth, me }) => ({
    status: 200,
    body: { items: (await auth.store.listTokens(me.operator ? undefined : me.userId)).filter((t) => canHandleToken(me, t)).map(tokenView) },
  }));

  signedIn('post', '/tokens', async ({ req, auth, me }) => {
    const b = await body('TokenCreate', req);
    const sites = b.role === 'operator' ? [] : b.sites ?? [];
    const problem = tokenScopeProblem(me, b.role, sites);
    if (problem) throw new HttpError(b.role !== 'operator' && sites.length === 0 ? 400 : 403, problem);
    // A token makes tokens only within what it manages, and they end when it does.
    const expiresAt = b.expiresAt === undefined ? (me.via === 'token' ? me.tokenExpiresAt ?? null : null) : Date.parse(b.expiresAt);
    if (expiresAt !== null && expiresAt <= Date.now()) throw new HttpError(400, 'expiresAt must be in the future');
    const makerProblem = tokenMakerProblem(me, sites, expiresAt);
    if (makerProblem) throw new HttpError(403, makerProblem);
    const owner = await auth.store.userById(me.userId);
    if (!owner) throw new HttpError(401, 'sign in first');
    const { token, record } = await auth.createToken(owner, { name: b.name, role: b.role, sites, expiresAt });
    return { status: 201, body: { token, details: tokenView(record) } };
  });

  signedIn('delete', '/tokens/{tokenId}', async ({ auth, me, path }) => {
    const t = await auth.store.token(Number(path.tokenId));
    if (!t || t.revokedAt !== null || !(me.operator || t.userId === me.userId)) throw new HttpError(404, `no token ${String(path.tokenId)}`);
    if (!canHandleToken(me, t)) throw new HttpError(403, 'this API token cannot revoke that token: use a session, or a token that manages its sites');
    await auth.store.revokeToken(t.id);
    return { status: 204 };
  });
}

async function sessionExpiry(auth: AuthService, sessionToken: string): Promise<number | null> {
  return (await auth.store.session(hashToken(sessionToken)))?.expiresAt ?? null;
}
