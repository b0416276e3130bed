import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';

/** The part of an express app the routes need (RED.httpNode is one); no express import at runtime. */
export interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** What a deployed dashboard node answers; routes stay registered across deploys and ask the current one. */
export interface DashboardHandlers {
  state(res: ServerResponse): void;
  events(req: IncomingMessage, res: ServerResponse): void;
}

const PUBLIC_DIR = join(__dirname, 'public');
const STATIC_FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};
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

const registered = new WeakMap<object, Map<string, { current: DashboardHandlers | undefined; owner: string | undefined }>>();

/**
 * Registers the dashboard's routes under `path` once per app and returns the slot the node fills
 * while it runs. Express cannot drop routes on redeploy, so the routes stay and dispatch to
 * whichever node holds the slot; with none, they answer 503.
 */
export function dashboardSlot(app: HttpApp, path: string): { current: DashboardHandlers | undefined; owner: string | undefined } {
  let byPath = registered.get(app);
  if (!byPath) registered.set(app, (byPath = new Map()));
  const existing = byPath.get(path);
  if (existing) return existing;
  const slot: { current: DashboardHandlers | undefined; owner: string | undefined } = { current: undefined, owner: undefined };
  byPath.set(path, slot);
  const notDeployed = (res: ServerResponse) => {
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('dashboard not deployed');
  };
  // Express matches `/ui` and `/ui/` alike; the page's relative URLs need the trailing slash.
  app.get(path, (req, res) => {
    const url = ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0];
    if (!url.endsWith('/')) {
      res.statusCode = 302;
      res.setHeader('Location', `${url}/`);
      res.end();
    } else if (slot.current) {
      sendFile(res, join(PUBLIC_DIR, 'index.html'), 'text/html; charset=utf-8');
    } else {
      notDeployed(res);
    }
  });
  app.get(`${path}/static/:file`, (req, res) => {
    const file = (req as IncomingMessage & { params: { file: string } }).params.file;
    const type = STATIC_FILES[file];
    if (!type || !existsSync(join(PUBLIC_DIR, file))) {
      res.statusCode = 404;
      res.end();
      return;
    }
    sendFile(res, join(PUBLIC_DIR, file), type);
  });
  app.get(`${path}/vendor/chart.umd.js`, (_req, res) => sendFile(res, CHART_JS, 'text/javascript; charset=utf-8'));
  app.get(`${path}/api/state`, (_req, res) => {
    securityHeaders(res);
    if (slot.current) slot.current.state(res);
    else notDeployed(res);
  });
  app.get(`${path}/events`, (req, res) => {
    if (slot.current) slot.current.events(req, res);
    else notDeployed(res);
  });
  return slot;
}
