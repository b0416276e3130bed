import type { Pool } from 'pg';
import type { AuthService } from '../auth/auth-service';
import { originProblem } from '../auth/http-auth';
import { passwordProblem } from '../auth/passwords';
import { can, canCreateHouse, canProvision, invitationProblem, visibleSites } from '../auth/permissions';
import { isKnownTimeZone } from '../energy/energy-store';
import { OnboardingError, type IssuedCredentials, type OnboardingService } from '../onboarding/onboarding-service';
import { OnboardingStore, type ClientRecord, type InvitationRecord } from '../onboarding/onboarding-store';
import { siteProblem } from '../mqtt-auth/users';
import type { RegistryService } from '../registry/registry-service';
import { HttpError, iso, readJsonBody, type ApiRequest } from './http';
import type { HttpMethod } from './openapi';
import type { Context, Handler, Reply } from './route-kit';
import type { Validators } from './validate';

/** What the onboarding routes borrow from the REST API (lib/api/routes.ts). */
export interface OnboardingKit {
  route(method: HttpMethod, path: string, handler: Handler): void;
  serve(method: HttpMethod, path: string, answer: (req: ApiRequest) => Reply | Promise<Reply>): void;
  parameters(path: string, method: HttpMethod, req: ApiRequest): { path: Record<string, unknown>; query: Record<string, unknown> };
  validators: Validators;
  getAuth: () => AuthService | undefined;
  getService: () => RegistryService | undefined;
  fromDatabase<T>(work: Promise<T>): Promise<T>;
  onboarding: () => OnboardingService;
}

const credentialView = (c: ClientRecord) => ({
  id: c.id, site: c.site, kind: c.kind, name: c.name, room: c.room, deviceKind: c.deviceKind, firmware: c.firmware, topicId: c.topicId,
  username: c.username, clientId: c.clientId, createdAt: iso(c.createdAt), createdBy: c.createdBy,
  rotatedAt: c.rotatedAt === null ? null : iso(c.rotatedAt), revokedAt: c.revokedAt === null ? null : iso(c.revokedAt),
});

const invitationView = (i: InvitationRecord) => ({
  id: i.id, site: i.site, role: i.role, email: i.email, createdAt: iso(i.createdAt), createdBy: i.createdBy, expiresAt: iso(i.expiresAt), acceptedAt: i.acceptedAt === null ? null : iso(i.acceptedAt),
});

/** Houses, invitations and broker credentials (documented in openapi-onboarding.ts; who may: lib/auth/permissions.ts). */
export function registerOnboardingRoutes(kit: OnboardingKit): void {
  const { route, serve, parameters, validators, getAuth, getService, fromDatabase, onboarding } = kit;

  const run = fromDatabase;
  const db = async (ctx: Context): Promise<Pool> => {
    const pool = await fromDatabase(ctx.service.database());
    await onboarding().restore(pool).catch(() => undefined);
    return pool;
  };
  /** Service errors become HTTP answers; a database that does not answer is 503. */
  const svc = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof OnboardingError) throw new HttpError(err.status, err.message);
      if (err instanceof HttpError) throw err;
      throw new HttpError(503, `database unavailable: ${(err as Error).message}`);
    }
  };
  /** The site, if the caller owns it (404 for one they cannot see, 403 for one they only see). */
  const ownedSite = (ctx: Context): string => {
    const site = String(ctx.path.site);
    if (siteProblem(site) || !can(ctx.principal, 'see', site)) throw new HttpError(404, `unknown site "${site}"`);
    if (!canProvision(ctx.principal, site)) throw new HttpError(403, `your role at site "${site}" does not allow this`);
    return site;
  };
  const credential = async (ctx: Context): Promise<{ pool: Pool; c: ClientRecord }> => {
    const pool = await db(ctx);
    const id = Number(ctx.path.credentialId);
    const c = await run(new OnboardingStore(pool).clientById(id));
    if (!c || !can(ctx.principal, 'see', c.site)) throw new HttpError(404, `unknown credential ${id}`);
    if (!canProvision(ctx.principal, c.site)) throw new HttpError(403, `your role at site "${c.site}" does not allow this`);
    return { pool, c };
  };
  /** The Host the caller reached Octopus by: devices on their network find the broker there too. */
  const hostOf = (ctx: Context) => {
    const h = ctx.req.headers.host;
    return typeof h === 'string' && h.length <= 260 ? h : undefined;
  };
  const issued = (ctx: Context, i: IssuedCredentials, withHub: boolean) => {
    const address = onboarding().address(hostOf(ctx));
    return {
      credential: credentialView(i.client),
      password: i.password,
      broker: { host: address.host, port: address.port, tlsPort: address.tlsPort ?? null },
      snippets: i.snippets,
      hubBundle: withHub ? onboarding().hubBundle(i.client, i.password, hostOf(ctx)) : null,
    };
  };

  route('get', '/houses', async (ctx) => {
    const pool = await db(ctx);
    const items = await run(new OnboardingStore(pool).houses(visibleSites(ctx.principal)));
    return { status: 200, body: { items } };
  });

  route('post', '/houses', async (ctx) => {
    if (!canCreateHouse(ctx.principal)) throw new HttpError(403, 'only operators create houses');
    const b = validators.body('HouseCreate', await readJsonBody(ctx.req));
    const pool = await db(ctx);
    if (!(await run(isKnownTimeZone(pool, b.timeZone)))) throw new HttpError(400, `unknown time zone "${b.timeZone}"`);
    const house = await svc(() => onboarding().createHouse(pool, { site: b.site, name: b.name, timeZone: b.timeZone, latitude: b.latitude ?? null, longitude: b.longitude ?? null }, ctx.principal.username));
    return { status: 201, body: house };
  });

  route('get', '/sites/{site}/invitations', async (ctx) => {
    const site = ownedSite(ctx);
    const items = await run(new OnboardingStore(await db(ctx)).invitations(site));
    return { status: 200, body: { items: items.map(invitationView) } };
  });

  route('post', '/sites/{site}/invitations', async (ctx) => {
    const site = String(ctx.path.site);
    if (siteProblem(site) || !can(ctx.principal, 'see', site)) throw new HttpError(404, `unknown site "${site}"`);
    const b = validators.body('InvitationCreate', await readJsonBody(ctx.req));
    const problem = invitationProblem(ctx.principal, site, b.role);
    if (problem) throw new HttpError(403, problem);
    const pool = await db(ctx);
    const { invitation, token } = await svc(() => onboarding().invite(pool, { site, role: b.role, email: b.email ?? null, by: ctx.principal.username }));
    return { status: 201, body: { invitation: invitationView(invitation), token, acceptPath: `/ui/accept?invitation=${encodeURIComponent(token)}` } };
  });

  serve('post', '/invitations/accept', async (req) => {
    parameters('/invitations/accept', 'post', req);
    const cross = originProblem(req);
    if (cross) throw new HttpError(403, cross);
    const b = validators.body('InvitationAccept', await readJsonBody(req));
    const weak = passwordProblem(b.password);
    if (weak) throw new HttpError(400, weak);
    const auth = getAuth();
    const service = getService();
    if (!auth || !service) throw new HttpError(503, 'the service is not ready: try again shortly');
    const pool = await fromDatabase(service.database());
    const user = await svc(() => onboarding().accept(pool, b.token, async (site, role) => {
      const made = await auth.createUser({ username: b.username, password: b.password, operator: false, sites: new Map([[site, role]]) });
      return made && { id: made.id, username: made.username, site, role };
    }));
    return { status: 201, body: user };
  });

  route('get', '/sites/{site}/device-credentials', async (ctx) => {
    const site = ownedSite(ctx);
    const items = await run(new OnboardingStore(await db(ctx)).clients(site));
    return { status: 200, body: { site, broker: onboarding().brokerKind(), items: items.map(credentialView) } };
  });

  route('post', '/sites/{site}/device-credentials', async (ctx) => {
    const site = ownedSite(ctx);
    const b = validators.body('DeviceCredentialsCreate', await readJsonBody(ctx.req));
    const pool = await db(ctx);
    const made = await svc(() => onboarding().addClient(pool, { site, kind: 'device', name: b.name, room: b.room ?? null, deviceKind: b.kind ?? null, firmware: b.firmware, by: ctx.principal.username }, hostOf(ctx)));
    return { status: 201, body: issued(ctx, made, false) };
  });

  route('post', '/sites/{site}/hubs', async (ctx) => {
    const site = ownedSite(ctx);
    const b = validators.body('HubCreate', await readJsonBody(ctx.req));
    const pool = await db(ctx);
    const made = await svc(() => onboarding().addClient(pool, { site, kind: 'hub', name: b.name, room: null, deviceKind: 'hub', firmware: 'other', by: ctx.principal.username }, hostOf(ctx)));
    return { status: 201, body: issued(ctx, made, true) };
  });

  route('get', '/device-credentials/{credentialId}', async (ctx) => {
    const { pool, c } = await credential(ctx);
    const house = await run(new OnboardingStore(pool).house(c.site));
    return { status: 200, body: { credential: credentialView(c), firstReading: onboarding().status(c, ctx.service.registry.all(), house?.timeZone) } };
  });

  route('post', '/device-credentials/{credentialId}/rotate', async (ctx) => {
    const { pool, c } = await credential(ctx);
    const made = await svc(() => onboarding().rotate(pool, c, hostOf(ctx)));
    return { status: 200, body: issued(ctx, made, c.kind === 'hub') };
  });

  route('delete', '/device-credentials/{credentialId}', async (ctx) => {
    const { pool, c } = await credential(ctx);
    await svc(() => onboarding().revoke(pool, c));
    return { status: 204 };
  });
}
