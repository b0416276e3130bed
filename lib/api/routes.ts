import { can, type Action } from '../auth/permissions';
import type { DeviceRecord } from '../registry/device-registry';
import type { RegistryService } from '../registry/registry-service';
import { HttpError, answerErrorsAsJson, readJsonBody, type HttpApp } from './http';
import { openApiDocument, type HttpMethod } from './openapi';
import { queryHistory } from '../history/history-query';
import { countCommands, queryReadings } from './readings-query';
import { registerAuthRoutes } from './auth-routes';
import { registerEnergyRoutes } from './energy-routes';
import { registerNotifyRoutes } from './notify-routes';
import { secretBox, type SecretBox } from '../notify/secret-box';
import { registerOnboardingRoutes } from './onboarding-routes';
import { registerAutomationRoutes } from './automation-routes';
import { routeKit, signedInCaller, type ApiOptions, type Context, type Handler } from './route-kit';
import { attributeViews, commandView, compare, deviceDetailView, deviceView, displayRoom } from './views';

export type { ApiHandler, ApiRequest, HttpApp } from './http';
export { NOT_READY, signedInCaller, type ApiOptions, type Context, type Handler, type Reply, type RouteKit } from './route-kit';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 366 * DAY_MS;
const MAX_HISTORY_MS = 3653 * DAY_MS;

/**
 * Serves the REST API on `app` (Node-RED's RED.httpNode): sign-in, users and tokens
 * (lib/api/auth-routes.ts), devices, energy and the OpenAPI document; errors under the base path,
 * even a body parser's, answer as JSON. Call once per app: the runtime (lib/runtime) does, when it
 * is made. `getService` is read on every request because registry nodes come and go with deploys,
 * and while none runs every device route answers 503.
 */
export function registerApiRoutes(app: HttpApp, getService: () => RegistryService | undefined, options: ApiOptions = {}): void {
  const kit = routeKit(app, options);
  const { base, validators, getAuth, serve, parameters } = kit;
  answerErrorsAsJson(app, base);
  registerAuthRoutes(kit);

  /**
   * A route that needs a signed-in caller (401 otherwise; 403 for a cookie write without CSRF
   * proof) and then the running registry (503 while none is deployed: only a signed-in caller
   * learns what is missing). Every handler then checks the caller's role at the site of what it touches.
   */
  const route = (method: HttpMethod, path: string, handler: Handler) =>
    serve(method, path, async (req) => {
      const principal = await signedInCaller(getAuth, req);
      const service = getService();
      if (!service) throw new HttpError(503, 'device registry not deployed');
      return handler({ req, service, principal, ...parameters(path, method, req) });
    });

  /**
   * The device, if the caller may `action` it. A device of a site the caller cannot see is
   * answered exactly like an unknown one (404), so ids of other houses cannot be probed; one it
   * sees but may not change this way is 403.
   */
  const device = (ctx: Context, action: Action = 'see', id = String(ctx.path.id)): DeviceRecord => {
    const d = ctx.service.registry.get(id);
    if (!d || !can(ctx.principal, 'see', d.site)) throw new HttpError(404, `unknown device "${id}"`);
    if (!can(ctx.principal, action, d.site)) throw new HttpError(403, `your role at site "${d.site}" does not allow this`);
    return d;
  };
  const sees = (ctx: Context, site: string) => can(ctx.principal, 'see', site);

  route('get', '/sites', (ctx) => {
    const sites = new Map<string, { site: string; rooms: Set<string>; devices: number; online: number; stale: number; offline: number }>();
    for (const d of ctx.service.registry.all()) {
      if (!sees(ctx, d.site)) continue;
      let s = sites.get(d.site);
      if (!s) sites.set(d.site, (s = { site: d.site, rooms: new Set(), devices: 0, online: 0, stale: 0, offline: 0 }));
      s.rooms.add(displayRoom(d));
      s.devices++;
      s[d.state]++;
    }
    const items = [...sites.values()].sort((a, b) => compare(a.site, b.site)).map((s) => ({ ...s, rooms: s.rooms.size }));
    return { status: 200, body: { items } };
  });

  route('get', '/sites/{site}/rooms', (ctx) => {
    const site = String(ctx.path.site);
    const rooms = new Map<string, { room: string; devices: number; online: number; stale: number; offline: number }>();
    for (const d of ctx.service.registry.all()) {
      if (d.site !== site || !sees(ctx, site)) continue;
      const name = displayRoom(d);
      let r = rooms.get(name);
      if (!r) rooms.set(name, (r = { room: name, devices: 0, online: 0, stale: 0, offline: 0 }));
      r.devices++;
      r[d.state]++;
    }
    if (rooms.size === 0) throw new HttpError(404, `unknown site "${site}"`);
    return { status: 200, body: { site, items: [...rooms.values()].sort((a, b) => compare(a.room, b.room)) } };
  });

  route('get', '/devices', (ctx) => {
    const { service, query } = ctx;
    const { site, room, state, kind } = query as Partial<Record<'site' | 'room' | 'state' | 'kind', string>>;
    const q = typeof query.q === 'string' ? query.q.toLowerCase() : undefined;
    const limit = query.limit as number;
    const offset = query.offset as number;
    const matches: DeviceRecord[] = [];
    for (const d of service.registry.all()) {
      if (!sees(ctx, d.site)) continue;
      if (site !== undefined && d.site !== site) continue;
      if (room !== undefined && displayRoom(d) !== room) continue;
      if (state !== undefined && d.state !== state) continue;
      if (kind !== undefined && d.meta.kind !== kind) continue;
      if (q !== undefined && ![d.deviceId, d.device, displayRoom(d), d.meta.name ?? ''].some((t) => t.toLowerCase().includes(q))) continue;
      matches.push(d);
    }
    matches.sort((a, b) => compare(a.deviceId, b.deviceId));
    const items = matches.slice(offset, offset + limit).map((d) => deviceView(service.registry, d));
    return { status: 200, body: { items, total: matches.length, limit, offset } };
  });

  route('get', '/devices/{id}', (ctx) => ({ status: 200, body: deviceDetailView(ctx.service.registry, device(ctx)) }));

  route('patch', '/devices/{id}', async (ctx) => {
    const d = device(ctx, 'manage');
    const patch = validators.body('DeviceMetaPatch', await readJsonBody(ctx.req));
    // The service checks what a schema cannot: min below max, a step that fits the range.
    const result = ctx.service.updateMeta(d.deviceId, patch);
    if (!result.ok) throw new HttpError(result.status, result.error);
    return { status: 200, body: deviceDetailView(ctx.service.registry, d) };
  });

  route('delete', '/devices/{id}', (ctx) => {
    const id = device(ctx, 'manage').deviceId;
    if (!ctx.service.forget(id)) throw new HttpError(404, `unknown device "${id}"`);
    return { status: 204 };
  });

  route('get', '/devices/{id}/attributes', (ctx) => {
    const d = device(ctx);
    return { status: 200, body: { deviceId: d.deviceId, items: attributeViews(d) } };
  });

  const attributeOf = (ctx: Context, d: DeviceRecord) => {
    const attribute = String(ctx.query.attribute);
    const state = d.attributes.get(attribute);
    if (!state) {
      throw new HttpError(404, `device "${d.deviceId}" has no attribute "${attribute}" (it has: ${[...d.attributes.keys()].sort(compare).join(', ') || 'none yet'})`);
    }
    return { attribute, state };
  };

  const timeRange = (ctx: Context, maxMs: number, maxText: string) => {
    const to = typeof ctx.query.to === 'string' ? Date.parse(ctx.query.to) : ctx.service.now();
    const from = typeof ctx.query.from === 'string' ? Date.parse(ctx.query.from) : to - DAY_MS;
    if (!(from < to)) throw new HttpError(400, 'bad time range: from must be before to');
    if (to - from > maxMs) throw new HttpError(400, `bad time range: at most ${maxText} at a time`);
    return { from, to };
  };

  route('get', '/devices/{id}/readings', async (ctx) => {
    const d = device(ctx);
    const { attribute } = attributeOf(ctx, d);
    const { from, to } = timeRange(ctx, MAX_RANGE_MS, '366 days');
    const limit = ctx.query.limit as number;
    const pool = await database(ctx.service);
    const { items, truncated } = await fromDatabase(queryReadings(pool, { deviceId: d.deviceId, attribute, from, to, limit }));
    return {
      status: 200,
      body: { deviceId: d.deviceId, attribute, from: new Date(from).toISOString(), to: new Date(to).toISOString(), limit, truncated, items },
    };
  });

  route('get', '/devices/{id}/history', async (ctx) => {
    const d = device(ctx);
    const { attribute, state } = attributeOf(ctx, d);
    if (typeof state.value === 'string') {
      throw new HttpError(400, `attribute "${attribute}" holds text, which has no min/mean/max: ask /devices/{id}/readings for its values`);
    }
    const { from, to } = timeRange(ctx, MAX_HISTORY_MS, '10 years');
    const maxPoints = ctx.query.points as number;
    const pool = await database(ctx.service);
    const history = await fromDatabase(queryHistory(pool, { deviceId: d.deviceId, attribute, from, to, maxPoints, now: ctx.service.now() }));
    return {
      status: 200,
      body: { deviceId: d.deviceId, attribute, from: new Date(from).toISOString(), to: new Date(to).toISOString(), unit: state.unit ?? null, ...history },
    };
  });

  route('get', '/devices/{id}/commands', async (ctx) => {
    const d = device(ctx);
    const limit = ctx.query.limit as number;
    const offset = ctx.query.offset as number;
    const commands = await fromDatabase(ctx.service.commandHistory(d.deviceId, limit, offset));
    const total = await fromDatabase(database(ctx.service).then((pool) => countCommands(pool, d.deviceId)));
    return { status: 200, body: { items: commands.map(commandView), total, limit, offset } };
  });

  route('post', '/commands', async (ctx) => {
    const body = validators.body('CommandRequest', await readJsonBody(ctx.req));
    // An unknown device gets the service's own answer; one of a site the caller cannot see, the same.
    const target = ctx.service.registry.get(body.deviceId);
    if (target && !sees(ctx, target.site)) throw new HttpError(404, 'unknown device');
    if (target && !can(ctx.principal, 'control', target.site)) throw new HttpError(403, `your role at site "${target.site}" does not allow commands`);
    const result = await ctx.service.sendCommand({ ...body, requestedBy: `api:${ctx.principal.username}` });
    if (!result.ok) throw new HttpError(result.status, result.error);
    const location = `${ctx.req.baseUrl ?? ''}${base}/commands/${result.command.id}`;
    return { status: 202, body: commandView(result.command), headers: { Location: location } };
  });

  route('get', '/commands/{id}', async (ctx) => {
    const id = String(ctx.path.id);
    const command = await fromDatabase(ctx.service.commandById(id));
    // A command is as visible as its device; one of a forgotten device only to operators.
    const site = command && ctx.service.registry.get(command.deviceId)?.site;
    if (!command || !(ctx.principal.operator || (site !== undefined && sees(ctx, site)))) throw new HttpError(404, `unknown command "${id}"`);
    return { status: 200, body: commandView(command) };
  });

  registerEnergyRoutes({ route, device, sees, validators, database: (ctx) => database(ctx.service), fromDatabase });
  registerNotifyRoutes({ route, serve, parameters, validators, database: (ctx) => database(ctx.service), openDatabase: () => openDatabase(getService), fromDatabase, alerts: () => options.alerts?.(), unread: options.unread, secrets: options.secrets ?? notifySecretsOnce() });
  registerOnboardingRoutes({ route, serve, parameters, validators, getAuth, getService, fromDatabase, onboarding: () => {
      const onboarding = options.onboarding?.();
      if (!onboarding) throw new HttpError(503, 'onboarding is not set up in this Node-RED');
      return onboarding;
    },
  });
  registerAutomationRoutes({ route, validators, automation: () => options.automation?.(), fromDatabase });

  // Served without a registry too: it describes the API, not the devices.
  serve('get', '/openapi.json', (req) => {
    parameters('/openapi.json', 'get', req);
    // Paths in the document are relative to where Node-RED mounted its HTTP nodes (httpNodeRoot).
    return { status: 200, body: openApiDocument(`${req.baseUrl ?? ''}${base}`) };
  });
}

function openDatabase(getService: () => RegistryService | undefined) {
  const service = getService();
  if (!service) return Promise.reject(new HttpError(503, 'device registry not deployed'));
  return database(service);
}

function database(service: RegistryService) {
  return fromDatabase(service.database());
}

/** A database that does not answer is the service being unavailable, not a bug of ours. */
export async function fromDatabase<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(503, `database unavailable: ${(err as Error).message}`);
  }
}

/** Outside a runtime (tests that mount the API alone): the environment's secret box, read on first use. */
function notifySecretsOnce(): () => SecretBox {
  let box: SecretBox | undefined;
  return () => (box ??= secretBox());
}
