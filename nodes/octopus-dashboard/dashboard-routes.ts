import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { answerErrorsAsJson, sendError } from '../../lib/api/http';
import type { DashboardHandlers, PageRequest } from '../../lib/live/dashboard-handlers';
import { parseSubscription } from '../../lib/live/subscription';
import { allowAll, type Authorize, type Viewer } from '../../lib/live/viewer';
import { registerOnboardingPages } from './onboarding-pages';

/** The part of an express app the routes need (RED.httpNode is one); no express import at runtime. */
export interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

export type { DashboardHandlers, PageRequest } from '../../lib/live/dashboard-handlers';

export interface DashboardRouteOptions {
  /** The dashboard node serving the path now (the runtime's slot), or undefined: 503. */
  current: () => DashboardHandlers | undefined;
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

/**
 * Mounts the dashboard's routes under `path` (the runtime does, once per path). Express cannot
 * drop routes on redeploy, so the routes stay and dispatch to whichever node serves the path now
 * (`options.current`); with none, they answer 503. Every request first goes through
 * `options.authorize`: no Viewer, 401.
 */
export function mountDashboardRoutes(app: HttpApp, path: string, options: DashboardRouteOptions): void {
  const { current } = options;
  const authorize = options.authorize ?? allowAll;
  // A body parser in front of the routes (Node-RED's admin app parses every JSON body) fails in JSON too.
  answerErrorsAsJson(app, path);

  /** Runs `handle` for an authorized request; refuses the others (401, or `refuse` for the page itself). */
  const guarded =
    (handle: (req: Req, res: ServerResponse, viewer: Viewer) => void, refuse?: (req: Req, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
    authorize(req).then(
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
      } else if (current()) {
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
  registerOnboardingPages(app, path, (req) => authorize(req).then((viewer) => viewer !== undefined && viewer !== null));
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
      const handlers = current();
      if (!handlers) return sendText(res, 503, 'dashboard not deployed');
      const p = page(req, res, viewer);
      if (p) handlers.state(res, p);
    }),
  );
  app.get(
    `${path}/events`,
    guarded((req, res, viewer) => {
      const handlers = current();
      if (!handlers) return sendText(res, 503, 'dashboard not deployed');
      const p = page(req, res, viewer);
      if (p) handlers.events(req, res, p);
    }),
  );
}
