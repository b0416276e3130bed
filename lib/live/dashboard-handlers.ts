import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from './subscription';
import type { Viewer } from './viewer';

/** What a page asks for: who is asking, what the page shows, and where the REST API is. */
export interface PageRequest {
  viewer: Viewer;
  subscription: Subscription;
  /** The REST API's base path as the browser reaches it (under Node-RED's httpNodeRoot). */
  apiBase: string;
}

/**
 * A running dashboard node's live hub, as the routes of its path reach it: the routes stay mounted
 * across deploys (Express cannot drop routes) and ask the runtime's slot for the node serving now.
 */
export interface DashboardHandlers {
  /** The dashboard node serving the path. */
  nodeId: string;
  state(res: ServerResponse, page: PageRequest): void;
  events(req: IncomingMessage, res: ServerResponse, page: PageRequest): void;
}
