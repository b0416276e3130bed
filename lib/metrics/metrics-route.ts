import type { IncomingMessage, ServerResponse } from 'node:http';
import { activeAuth } from '../auth/active-auth';
import { principalOf } from '../auth/http-auth';
import { sameSecret } from '../auth/tokens';
import { registry } from './ingest-metrics';

interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

const served = new WeakSet<object>();

/** Where Prometheus scrapes, under Node-RED's httpNodeRoot. */
export const METRICS_PATH = process.env.OCTOPUS_METRICS_PATH || '/metrics';

/**
 * Who may read the metrics, in every mode (npm start, Docker, a stock Node-RED): a scraper sending
 * OCTOPUS_METRICS_TOKEN as `Authorization: Bearer <token>`, or an operator (the dashboard's session
 * cookie, or an operator API token). Nobody else: the counters tell which houses send what.
 */
export async function scrapeAllowed(req: IncomingMessage, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const token = env.OCTOPUS_METRICS_TOKEN;
  const sent = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (token && sent !== undefined && sameSecret(sent, token)) return true;
  const auth = activeAuth();
  if (!auth) return false;
  const principal = await principalOf(auth, req).catch(() => undefined);
  return principal?.operator === true;
}

/** Serves the Prometheus metrics once per Node-RED HTTP app, whichever Octopus node loads first. */
export function ensureMetricsRoute(httpNode: HttpApp): void {
  if (served.has(httpNode)) return;
  served.add(httpNode);
  httpNode.get(METRICS_PATH, (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    void scrapeAllowed(req)
      .then(async (allowed) => {
        if (!allowed) {
          res.statusCode = 401;
          res.setHeader('WWW-Authenticate', 'Bearer realm="octopus-metrics"');
          res.end('metrics need the bearer token set in OCTOPUS_METRICS_TOKEN, or an operator signed in\n');
          return;
        }
        const text = await registry.metrics();
        res.setHeader('Content-Type', registry.contentType);
        res.end(text);
      })
      .catch((err: Error) => {
        res.statusCode = 500;
        res.end(`metrics unavailable: ${err.message}`);
      });
  });
}
