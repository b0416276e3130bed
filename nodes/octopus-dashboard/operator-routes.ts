import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAPI } from 'node-red';
import { tryReadJsonBody } from '../../lib/api/http';
import { activeAuth } from '../../lib/auth/active-auth';
import { createFirstOperator, operatorSetup } from '../../lib/auth/first-operator';

/**
 * The editor's side of the first run: the dashboard node's edit dialog asks whether an operator
 * exists (GET) and makes the first one (POST). Both are Node-RED admin routes: with an adminAuth
 * they need an editor login, and making the account needs the right to deploy flows.
 */
export const OPERATOR_ROUTE = '/octopus/operator';

const served = new WeakSet<object>();

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

export function registerOperatorRoutes(RED: NodeAPI, log: (line: string) => void): void {
  if (served.has(RED.httpAdmin)) return;
  served.add(RED.httpAdmin);
  RED.httpAdmin.get(OPERATOR_ROUTE, RED.auth.needsPermission('flows.read'), (_req: IncomingMessage, res: ServerResponse) => {
    void operatorSetup(activeAuth()).then((setup) => answer(res, 200, setup));
  });
  RED.httpAdmin.post(OPERATOR_ROUTE, RED.auth.needsPermission('flows.write'), (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await tryReadJsonBody(req, 4096);
      if (!body.ok) return answer(res, body.status, { error: body.error });
      const { username, password } = (body.value ?? {}) as { username?: unknown; password?: unknown };
      const made = await createFirstOperator(activeAuth(), username, password);
      if (!made.ok) return answer(res, made.status, { error: made.error });
      log(`octopus users: operator "${made.username}" created from the editor`);
      answer(res, 201, { username: made.username });
    })().catch((err: Error) => answer(res, 500, { error: `the account could not be made: ${err.message}` }));
  });
}
