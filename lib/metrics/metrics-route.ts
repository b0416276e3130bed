import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthService } from '../auth/auth-service';
import { principalOf } from '../auth/http-auth';
import { sameSecret } from '../auth/tokens';
import type { IngestMetrics } from './ingest-metrics';

interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** Where Prometheus scrapes, under Node-RED's httpNodeRoot. */
export const METRICS_PATH = process.env.OCTOPUS_METRICS_PATH || '/metrics';

/**
 * Who may read the metrics, in every mode (npm start, Docker, a stock Node-RED): a scraper sending
 * OCTOPUS_METRICS_TOKEN as `Authorization: Bearer <token>`, or an operator (the dashboard's session
 * cookie, or an operator API token). Nobody else: the counters tell which houses send what.
 */
export async function scrapeAllowed(req: IncomingMessage, auth: AuthService | undefined, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const token = env.OCTOPUS_METRICS_TOKEN;
  const sent = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (token && sent !== undefined && sameSecret(sent, token)) return true;
  if (!auth) return false;
  const principal = await principalOf(auth, req).catch(() => undefined);
  return principal?.operator === true;
}

/** Serves the Prometheus metrics on Node-RED's HTTP app (the runtime mounts it once), checking callers against `getAuth`'s user store. */
export function mountMetricsRoute(httpNode: HttpApp, getAuth: () => AuthService | undefined, metrics: IngestMetrics): void {
  const { registry } = metrics;
  httpNode.get(METRICS_PATH, (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    void scrapeAllowed(req, getAuth())
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
