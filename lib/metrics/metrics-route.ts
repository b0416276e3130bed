import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameSecret } from '../auth/tokens';
import { registry } from './ingest-metrics';

interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

const served = new WeakSet<object>();

/** Where Prometheus scrapes, under Node-RED's httpNodeRoot. */
export const METRICS_PATH = process.env.OCTOPUS_METRICS_PATH || '/metrics';

/** With OCTOPUS_METRICS_TOKEN set, scrapers must send it as `Authorization: Bearer <token>`. */
function scrapeAllowed(req: IncomingMessage): boolean {
  const token = process.env.OCTOPUS_METRICS_TOKEN;
  if (!token) return true;
  const sent = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  return sent !== undefined && sameSecret(sent, token);
}

/** Serves the Prometheus metrics once per Node-RED HTTP app, whichever Octopus node loads first. */
export function ensureMetricsRoute(httpNode: HttpApp): void {
  if (served.has(httpNode)) return;
  served.add(httpNode);
  httpNode.get(METRICS_PATH, (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!scrapeAllowed(req)) {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Bearer realm="octopus-metrics"');
      res.end('metrics need the bearer token set in OCTOPUS_METRICS_TOKEN\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.setHeader('Content-Type', registry.contentType);
        res.end(text);
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(`metrics unavailable: ${err.message}`);
      },
    );
  });
}
