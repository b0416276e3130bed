import type { IncomingMessage, ServerResponse } from 'node:http';
import { registry } from './ingest-metrics';

interface HttpApp {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

const served = new WeakSet<object>();

/** Where Prometheus scrapes, under Node-RED's httpNodeRoot. */
export const METRICS_PATH = process.env.OCTOPUS_METRICS_PATH || '/metrics';

/** Serves the Prometheus metrics once per Node-RED HTTP app, whichever Octopus node loads first. */
export function ensureMetricsRoute(httpNode: HttpApp): void {
  if (served.has(httpNode)) return;
  served.add(httpNode);
  httpNode.get(METRICS_PATH, (_req, res) => {
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
