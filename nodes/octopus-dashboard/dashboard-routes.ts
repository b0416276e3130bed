import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { answerErrorsAsJson, sendError } from '../../lib/api/http';
import { parseSubscription, type Subscription } from '../../lib/live/subscription';
import { allowAll, type Authorize, type Viewer } from '../../lib/live/viewer';
import { registerOnboardingPages } from './onboarding-pages';

/** The part of an express app the routes need (RED.httpNode is one); no express import at runtime. */
export interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** What a page asks for: who is asking, what the page shows, and where the REST API is. */
export interface PageRequest {
  viewer: Viewer;
  subscription: Subscription;
  /** The REST API's base path as the browser reaches it (under Node-RED's httpNodeRoot). */
  apiBase: string;
}

/** What a deployed dashboard node answers; routes stay registered across deploys and ask the current one. */
export interface DashboardHandlers {
  state(res: ServerResponse, page: PageRequest): void;
  events(req: IncomingMessage, res: ServerResponse, page: PageRequest): void;
}

/** The routes' state: the node serving them now, and who may see what (replaceable by the security work). */
export interface DashboardSlot {
  current: DashboardHandlers | undefined;
  owner: string | undefined;
  authorize: Authorize<IncomingMessage>;
}

export interface DashboardRouteOptions {
  /** Decides the Viewer of every request and stream; default: everyone sees and controls everything. */
  authorize?: Authorize<IncomingMessage>;
}

const PUBLIC_DIR = join(__dirname, 'public');
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
// The page's own files: plain names, so a request can never step outside public/.
const STATIC_NAME = /^[a-z][a-z0-9-]*\.(js|css)$/;
// Chart.js comes from the package's own dependency, never a CDN. Its "exports" hide the UMD build,
// so find it beside the CommonJS entry.
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/** Browsers get only what the page needs, and the page may only load its own scripts and styles. */
function securityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'");
}

function sendFile(res: ServerResponse, file: string, type: string): void {
  securityHeaders(res);
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  createReadStream(file)
    .on('error', () => {
      res.statusCode = 404;
      res.end();
    })
    .pipe(res);
}

/** An answer other than the page, a file or the stream: one sentence in JSON, as the REST API answers. */
function sendText(res: ServerResponse, status: number, text: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  sendError(res, status, text);
}

type Req = IncomingMessage & { originalUrl?: string; baseUrl?: string; params?: Record<string, string> };

const registered = new WeakMap<object, Map<string, DashboardSlot>>();

/**
 * Registers the dashboard's routes under `path` once per app and returns the slot the node fills
 * while it runs. Express cannot drop routes on redeploy, so the routes stay and dispatch to
 * whichever node holds the slot; with none, they answer 503. Every request first goes through
 * `slot.authorize`: no Viewer, 401.
 */
export function dashboardSlot(app: HttpApp, path: string, options: DashboardRouteOptions = {}): DashboardSlot {
  let byPath = registered.get(app);
  if (!byPath) registered.set(app, (byPath = new Map()));
  const existing = byPath.get(path);
  if (existing) {
    if (options.authorize) existing.authorize = options.authorize;
    return existing;
  }
  const slot: DashboardSlot = { current: undefined, owner: undefined, authorize: options.authorize ?? allowAll };
  byPath.set(path, slot);
  // A body parser in front of the routes (Node-RED's admin app parses every JSON body) fails in JSON too.
  answerErrorsAsJson(app, path);

  /** Runs `handle` for an authorized request; refuses the others (401, or `refuse` for the page itself). */
  const guarded =
    (handle: (req: Req, res: ServerResponse, viewer: Viewer) => void, refuse?: (req: Req, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
    slot.authorize(req).then(
      (viewer) => {
        if (!viewer) return refuse ? refuse(req as Req, res) : sendText(res, 401, 'not authorized to view this dashboard');
        handle(req as Req, res, viewer);
      },
      (err: Error) => sendText(res, 500, `authorization failed: ${err.message}`),
    );
  };
  const page = (req: Req, res: ServerResponse, viewer: Viewer): PageRequest | undefined => {
    const parsed = parseSubscription(new URL(req.url ?? '/', 'http://localhost').searchParams);
    if (!parsed.ok) {
      sendText(res, 400, parsed.error);
      return undefined;
    }
    return { viewer, subscription: parsed.subscription, apiBase: `${req.baseUrl ?? ''}/api/v1` };
  };

  // Express matches `/ui` and `/ui/` alike; the page's relative URLs need the trailing slash.
  app.get(
    path,
    guarded((req, res) => {
      const url = (req.originalUrl ?? req.url ?? '').split('?')[0];
      if (!url.endsWith('/')) {
        res.statusCode = 302;
        res.setHeader('Location', `${url}/`);
        res.end();
      } else if (slot.current) {
        sendFile(res, join(PUBLIC_DIR, 'index.html'), 'text/html; charset=utf-8');
      } else {
        sendText(res, 503, 'dashboard not deployed');
      }
    }, (req, res) => {
      // A person without a session is sent to sign in (login-routes.ts); the #fragment survives the redirect.
      res.statusCode = 302;
      res.setHeader('Location', `${(req.originalUrl ?? req.url ?? '').split('?')[0].replace(/\/+$/, '')}/login`);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
    }),
  );
  registerOnboardingPages(app, path, (req) => slot.authorize(req).then((viewer) => viewer !== undefined && viewer !== null));
  app.get(
    `${path}/static/:file`,
    guarded((req, res) => {
      const file = req.params?.file ?? '';
      if (!STATIC_NAME.test(file) || !existsSync(join(PUBLIC_DIR, file))) return sendText(res, 404, 'not found');
      sendFile(res, join(PUBLIC_DIR, file), TYPES[extname(file).slice(1)]);
    }),
  );
  app.get(
    `${path}/vendor/chart.umd.js`,
    guarded((_req, res) => sendFile(res, CHART_JS, TYPES.js)),
  );
  app.get(
    `${path}/api/state`,
    guarded((req, res, viewer) => {
      securityHeaders(res);
      if (!slot.current) return sendText(res, 503, 'dashboard not deployed');
      const p = page(req, res, viewer);
      if (p) slot.current.state(res, p);
    }),
  );
  app.get(
    `${path}/events`,
    guarded((req, res, viewer) => {
      if (!slot.current) return sendText(res, 503, 'dashboard not deployed');
      const p = page(req, res, viewer);
      if (p) slot.current.events(req, res, p);
    }),
  );
  return slot;
}
