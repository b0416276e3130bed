import type { IncomingMessage, ServerResponse } from 'node:http';
import Ajv, { type ErrorObject } from 'ajv';
import { HttpError, answerErrorsAsJson } from '../api/http';
import { signedInCaller } from '../api/routes';
import { activeAuth } from '../auth/active-auth';
import type { AuthService } from '../auth/auth-service';
import { apiSecurityHeaders } from '../auth/http-auth';
import { can, type Principal } from '../auth/permissions';
import type { AlertState } from './alert-engine';
import type { AlertService, ServiceResult } from './alert-service';
import type { AlertFilters } from './alert-store';
import type { Severity } from './rules';

/**
 * The alerts part of the REST API, on any express-like app (Node-RED's httpNode in practice):
 *
 *   GET  /api/v1/alerts              open alerts (filters: site, device, attribute, ruleId, severity, state)
 *   GET  /api/v1/alerts/history      all alerts, newest first (filters above plus from, to, limit, offset)
 *   GET  /api/v1/alerts/:id          one alert with its transitions
 *   POST /api/v1/alerts/:id/ack      {"by"?: "…", "note"?: "…"}
 *   POST /api/v1/alerts/:id/clear    {"by"?: "…", "note"?: "…"}
 *
 * Errors are JSON `{"error": "<sentence>"}` with the matching status, those of body parsers in
 * front of the routes included; 503 while no alert node is deployed, told only to a signed-in
 * caller. Bodies are read here (64 KB at most), so no body parser needs to be installed.
 *
 * Every route needs a signed-in caller (lib/auth): lists show only the sites the caller sees, an
 * alert of another site is 404 as if unknown, ack and clear need resident or more. The name
 * recorded for an ack or clear is the signed-in user's; a `by` in the body is accepted for old
 * clients and ignored, so nobody can act in another's name.
 */
export interface AlertRouteRequest extends IncomingMessage {
  params?: Record<string, string>;
  body?: unknown;
  /** Set by body-parser once it has read the body. */
  _body?: boolean;
}

type Handler = (req: AlertRouteRequest, res: ServerResponse) => void;

/** The part of an express app the routes need; express itself is never imported. */
export interface AlertRouteApp {
  get(path: string, handler: Handler): unknown;
  post(path: string, handler: Handler): unknown;
}

export interface AlertRouteOptions {
  basePath?: string;
  maxBodyBytes?: number;
  /** The user store the routes check callers against (default: the deployed one). */
  auth?: () => AuthService | undefined;
}

const registered = new WeakSet<object>();

// Query values arrive as text: that instance coerces (limit=20 → 20); bodies are JSON and must be typed right.
const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: true });
const strictAjv = new Ajv({ allErrors: true, strict: true });
// Postgres text holds no NUL character: a filter or note with one would fail the query (a 500), so it is refused here.
const NO_NUL = '^[^\\u0000]*$';
const TEXT = { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL };
const SEVERITY_LIST = { type: 'string', pattern: '^(info|warning|critical)(,(info|warning|critical))*$' };
const TIME = { type: 'string', minLength: 1, maxLength: 40 };
const activeQuery = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: { site: TEXT, device: TEXT, attribute: TEXT, ruleId: TEXT, severity: SEVERITY_LIST, state: { type: 'string', pattern: '^(active|acknowledged)(,(active|acknowledged))*$' } },
});
const historyQuery = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    site: TEXT,
    device: TEXT,
    attribute: TEXT,
    ruleId: TEXT,
    severity: SEVERITY_LIST,
    state: { type: 'string', pattern: '^(active|acknowledged|cleared)(,(active|acknowledged|cleared))*$' },
    from: TIME,
    to: TIME,
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    offset: { type: 'integer', minimum: 0, maximum: 10_000_000 },
  },
});
const actionBody = strictAjv.compile({
  type: 'object',
  additionalProperties: false,
  properties: { by: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL }, note: { type: 'string', maxLength: 1000, pattern: NO_NUL } },
});

/** Registers the routes once per app (a second call with the same app does nothing); true when registered now. */
export function registerAlertRoutes(app: AlertRouteApp, getService: () => AlertService | undefined, options: AlertRouteOptions = {}): boolean {
  if (registered.has(app)) return false;
  registered.add(app);
  const base = (options.basePath ?? '/api/v1').replace(/\/$/, '');
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const getAuth = options.auth ?? activeAuth;
  answerErrorsAsJson(app, `${base}/alerts`);

  const route = (run: (req: AlertRouteRequest, res: ServerResponse, service: AlertService, me: Principal) => Promise<void>): Handler => {
    return (req, res) => {
      apiSecurityHeaders(res);
      // Who is asking first: an anonymous caller learns nothing of what is deployed.
      signedInCaller(getAuth, req)
        .then((me) => {
          const service = getService();
          if (!service) throw new HttpError(503, 'no octopus-alert node is deployed');
          if (!service.ready) throw new HttpError(503, 'alerts are still loading from the database; try again shortly');
          return run(req, res, service, me);
        })
        .catch((err: Error) => {
          if (res.headersSent) res.end();
          else if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
          else sendJson(res, 500, { error: `alerts: ${err.message}` });
        });
    };
  };
  const sees = (me: Principal) => (a: { site: string }) => can(me, 'see', a.site);

  app.get(
    `${base}/alerts`,
    route(async (req, res, service, me) => {
      const q = queryOf(req);
      if (!activeQuery(q)) return sendJson(res, 400, { error: querySentence(activeQuery.errors) });
      const alerts = service.activeAlerts({ ...textFilters(q), severity: list<Severity>(q.severity), state: list<AlertState>(q.state) }).filter(sees(me));
      sendJson(res, 200, { alerts, count: alerts.length });
    }),
  );

  app.get(
    `${base}/alerts/history`,
    route(async (req, res, service, me) => {
      const q = queryOf(req);
      if (!historyQuery(q)) return sendJson(res, 400, { error: querySentence(historyQuery.errors) });
      const from = q.from === undefined ? undefined : parseTime(String(q.from));
      const to = q.to === undefined ? undefined : parseTime(String(q.to));
      if (Number.isNaN(from) || Number.isNaN(to)) {
        return sendJson(res, 400, { error: `query parameter "${Number.isNaN(from) ? 'from' : 'to'}" must be an ISO 8601 time (2026-11-23T10:00:00Z) or epoch milliseconds` });
      }
      if (from !== undefined && to !== undefined && from > to) return sendJson(res, 400, { error: '"from" must not be after "to"' });
      const filters: AlertFilters = {
        ...textFilters(q),
        severity: list<Severity>(q.severity),
        state: list<AlertState>(q.state),
        from,
        to,
        limit: q.limit === undefined ? 100 : Number(q.limit),
        offset: q.offset === undefined ? 0 : Number(q.offset),
        // Filtered in the query, so that totals and pages count only what the caller may see.
        sites: me.operator ? undefined : [...me.sites.keys()],
      };
      const { alerts, total } = await service.history(filters);
      sendJson(res, 200, { alerts, total, limit: filters.limit, offset: filters.offset });
    }),
  );

  app.get(
    `${base}/alerts/:id`,
    route(async (req, res, service, me) => {
      const id = idOf(req);
      if (!id) return sendJson(res, 400, { error: 'an alert id is required' });
      const found = await alertOf(service, id);
      if (!found || !sees(me)(found.alert)) return sendJson(res, 404, { error: `no alert ${id}` });
      sendJson(res, 200, found);
    }),
  );

  for (const action of ['ack', 'clear'] as const) {
    app.post(
      `${base}/alerts/:id/${action}`,
      route(async (req, res, service, me) => {
        const id = idOf(req);
        if (!id) return sendJson(res, 400, { error: 'an alert id is required' });
        const body = await readJsonBody(req, maxBody);
        if (!body.ok) return sendJson(res, body.status, { error: body.error });
        const value = body.value ?? {};
        if (!actionBody(value)) return sendJson(res, 400, { error: bodySentence(actionBody.errors) });
        const found = await alertOf(service, id);
        if (!found || !sees(me)(found.alert)) return sendJson(res, 404, { error: `no alert ${id}` });
        if (!can(me, 'control', found.alert.site)) return sendJson(res, 403, { error: `your role at site "${found.alert.site}" does not allow this` });
        const { note } = value as { note?: string };
        const result: ServiceResult = action === 'ack' ? await service.acknowledge(id, me.username, note) : await service.clear(id, me.username, note);
        if (!result.ok) return sendJson(res, result.status, { error: result.error });
        sendJson(res, 200, { alert: result.alert });
      }),
    );
  }
  return true;
}

/** The alert and its events; an id with a NUL character is no alert's (and Postgres text cannot hold one to ask). */
function alertOf(service: AlertService, id: string): ReturnType<AlertService['alertWithEvents']> {
  return id.includes('\u0000') ? Promise.resolve(undefined) : service.alertWithEvents(id);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** The query string as flat text values (a repeated key: its values joined with commas). */
function queryOf(req: AlertRouteRequest): Record<string, unknown> {
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

function idOf(req: AlertRouteRequest): string | undefined {
  const fromParams = req.params?.id;
  if (fromParams) return fromParams;
  const m = /\/alerts\/([^/?]+)/.exec(req.url ?? '');
  return m ? decodeURIComponent(m[1]) : undefined;
}

function querySentence(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => sentence(e, 'query parameter')).join('; ') || 'invalid query';
}

function bodySentence(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => sentence(e, 'field')).join('; ') || 'invalid body';
}

function sentence(e: ErrorObject, what: string): string {
  const name = e.instancePath.replace(/^\//, '');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown ${what} "${String(p.additionalProperty)}"`;
    case 'type':
      return name ? `${what} "${name}" must be ${p.type === 'integer' ? 'a whole number' : `a ${String(p.type)}`}` : 'the body must be a JSON object';
    case 'pattern':
      if (p.pattern === NO_NUL) return `${what} "${name}" must not contain a NUL character`;
      return `${what} "${name}" must be a comma-separated list of ${(/\(([^)]*)\)/.exec(String(p.pattern))?.[1] ?? '').split('|').join(', ')}`;
    case 'minimum':
      return `${what} "${name}" must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${what} "${name}" must be at most ${String(p.limit)}`;
    case 'minLength':
      return `${what} "${name}" must not be empty`;
    case 'maxLength':
      return `${what} "${name}" must be at most ${String(p.limit)} characters`;
    default:
      return `${what} "${name}" ${e.message ?? 'is invalid'}`;
  }
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string };

/**
 * The JSON body: the one a body parser already read, else read here up to `limit` bytes. An
 * empty body is `undefined` (the action's fields are all optional).
 */
export function readJsonBody(req: AlertRouteRequest, limit: number): Promise<BodyResult> {
  if (req._body) return Promise.resolve({ ok: true, value: req.body });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, status: 413, error: `the body is larger than ${limit} bytes` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', (err) => resolve({ ok: false, status: 400, error: `the body could not be read: ${err.message}` }));
    req.on('end', () => {
      if (tooLarge) return resolve({ ok: false, status: 413, error: `the body is larger than ${limit} bytes` });
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({ ok: true, value: undefined });
      const type = String(req.headers['content-type'] ?? '');
      if (type && !/\bjson\b/i.test(type)) return resolve({ ok: false, status: 415, error: `the body must be JSON (Content-Type: application/json), not ${type}` });
      try {
        resolve({ ok: true, value: JSON.parse(text) as unknown });
      } catch (err) {
        resolve({ ok: false, status: 400, error: `the body is not valid JSON: ${(err as Error).message}` });
      }
    });
  });
}
