import { HttpError, readJsonBody, type ApiRequest, type HttpApp } from '../api/http';
import { routeKit, signedInCaller, type ApiOptions, type Reply } from '../api/route-kit';
import type { HttpMethod } from '../api/openapi';
import { can, type Principal } from '../auth/permissions';
import type { AlertState } from './alert-engine';
import type { AlertService, ServiceResult } from './alert-service';
import type { AlertFilters } from './alert-store';
import type { Severity } from './rules';

/**
 * The alerts part of the REST API (documented in lib/api/openapi-alerts.ts), served through the
 * API's route kit like every other part:
 *
 *   GET  /api/v1/alerts              open alerts (filters: site, device, attribute, ruleId, severity, state)
 *   GET  /api/v1/alerts/history      all alerts, newest first (filters above plus from, to, limit, offset)
 *   GET  /api/v1/alerts/{id}         one alert with its transitions
 *   POST /api/v1/alerts/{id}/ack     {"by"?: "…", "note"?: "…"}
 *   POST /api/v1/alerts/{id}/clear   {"by"?: "…", "note"?: "…"}
 *
 * Every route needs a signed-in caller (lib/auth) first; then 503 while no alert node is deployed
 * or its alerts are still loading. Lists show only the sites the caller sees, an alert of another
 * site is 404 as if unknown, ack and clear need `control` of its site. The name recorded for an ack
 * or clear is the signed-in user's; a `by` in the body is accepted for old clients and ignored, so
 * nobody can act in another's name.
 */

interface Ctx {
  req: ApiRequest;
  service: AlertService;
  me: Principal;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
}

/** Registers the routes on `app`; call once per app, after registerApiRoutes (the runtime does, when it is made). */
export function registerAlertRoutes(app: HttpApp, getService: () => AlertService | undefined, options: ApiOptions = {}): void {
  const { validators, getAuth, serve } = routeKit(app, options);

  const route = (method: HttpMethod, path: string, handler: (ctx: Ctx) => Promise<Reply>) =>
    serve(method, path, async (req) => {
      // Who is asking first: an anonymous caller learns nothing of what is deployed.
      const me = await signedInCaller(getAuth, req);
      const service = getService();
      if (!service) throw new HttpError(503, 'no octopus-alert node is deployed');
      if (!service.ready) throw new HttpError(503, 'alerts are still loading from the database; try again shortly');
      // A repeated filter adds to its list (?severity=info&severity=critical), as it always has.
      const checked = validators.parameters(path, method, { path: req.params ?? {}, query: queryOf(req) });
      return handler({ req, service, me, ...checked });
    });
  const sees = (me: Principal) => (a: { site: string }) => can(me, 'see', a.site);

  /** The alert and its events, if the caller sees its site: an alert of another site is as unknown as a missing one. */
  const visible = async (ctx: Ctx) => {
    const id = String(ctx.path.id);
    // An id with a NUL character is no alert's (and Postgres text cannot hold one to ask).
    const found = id.includes('\u0000') ? undefined : await ctx.service.alertWithEvents(id);
    if (!found || !sees(ctx.me)(found.alert)) throw new HttpError(404, `no alert ${id}`);
    return found;
  };

  route('get', '/alerts', async ({ service, me, query }) => {
    const alerts = service.activeAlerts({ ...textFilters(query), severity: list<Severity>(query.severity), state: list<AlertState>(query.state) }).filter(sees(me));
    return { status: 200, body: { alerts, count: alerts.length } };
  });

  route('get', '/alerts/history', async ({ service, me, query }) => {
    // Checked here rather than by the document: it takes epoch milliseconds as well as ISO 8601.
    const from = query.from === undefined ? undefined : parseTime(String(query.from));
    const to = query.to === undefined ? undefined : parseTime(String(query.to));
    if (Number.isNaN(from) || Number.isNaN(to)) {
      throw new HttpError(400, `query parameter "${Number.isNaN(from) ? 'from' : 'to'}" must be an ISO 8601 time (2026-11-23T10:00:00Z) or epoch milliseconds`);
    }
    if (from !== undefined && to !== undefined && from > to) throw new HttpError(400, '"from" must not be after "to"');
    const filters: AlertFilters = {
      ...textFilters(query),
      severity: list<Severity>(query.severity),
      state: list<AlertState>(query.state),
      from,
      to,
      limit: query.limit as number,
      offset: query.offset as number,
      // Filtered in the query, so that totals and pages count only what the caller may see.
      sites: me.operator ? undefined : [...me.sites.keys()],
    };
    const { alerts, total } = await service.history(filters);
    return { status: 200, body: { alerts, total, limit: filters.limit, offset: filters.offset } };
  });

  route('get', '/alerts/{id}', async (ctx) => ({ status: 200, body: await visible(ctx) }));

  for (const action of ['ack', 'clear'] as const) {
    route('post', `/alerts/{id}/${action}`, async (ctx) => {
      const { note } = validators.body('AlertAction', await actionBody(ctx.req));
      const { alert } = await visible(ctx);
      if (!can(ctx.me, 'control', alert.site)) throw new HttpError(403, `your role at site "${alert.site}" does not allow this`);
      const id = alert.id;
      const result: ServiceResult = action === 'ack' ? await ctx.service.acknowledge(id, ctx.me.username, note) : await ctx.service.clear(id, ctx.me.username, note);
      if (!result.ok) throw new HttpError(result.status, result.error);
      return { status: 200, body: { alert: result.alert } };
    });
  }
}

/** The action's body: both its fields are optional, so a request without a body stands for `{}`. */
function actionBody(req: ApiRequest): Promise<unknown> {
  const parsed = (req as { _body?: boolean })._body === true;
  const length = req.headers['content-length'];
  const none = !parsed && req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
  return none ? Promise.resolve({}) : readJsonBody(req);
}

/** The query string as flat text values (a repeated key: its values joined with commas; an empty value: absent). */
function queryOf(req: ApiRequest): Record<string, unknown> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const out: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) {
    if (v === '') continue;
    out[k] = typeof out[k] === 'string' ? `${out[k] as string},${v}` : v;
  }
  return out;
}

function textFilters(q: Record<string, unknown>): { site?: string; device?: string; attribute?: string; ruleId?: string } {
  const pick = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  return { site: pick('site'), device: pick('device'), attribute: pick('attribute'), ruleId: pick('ruleId') };
}

function list<T extends string>(v: unknown): T[] | undefined {
  return typeof v === 'string' ? (v.split(',') as T[]) : undefined;
}

function parseTime(v: string): number {
  if (/^\d{1,15}$/.test(v)) return Number(v);
  return Date.parse(v);
}
