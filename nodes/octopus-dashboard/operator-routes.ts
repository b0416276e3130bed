import type { IncomingMessage, ServerResponse } from 'node:http';
import { tryReadJsonBody } from '../../lib/api/http';
import type { AuthService } from '../../lib/auth/auth-service';
import { createFirstOperator, operatorSetup } from '../../lib/auth/first-operator';
import type { AdminApp, Middleware } from '../../lib/runtime/octopus-runtime';

/**
 * The editor's side of the first run: the dashboard node's edit dialog asks whether an operator
 * exists (GET) and makes the first one (POST). Both are Node-RED admin routes: with an adminAuth
 * they need an editor login, and making the account needs the right to deploy flows.
 */
export const OPERATOR_ROUTE = '/octopus/operator';

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

/** Mounted once per Node-RED instance by the Octopus runtime; `getAuth` is the runtime's user store. */
export function mountOperatorRoutes(
  httpAdmin: AdminApp,
  needsPermission: (p: string) => Middleware,
  getAuth: () => AuthService | undefined,
  log: (line: string) => void,
): void {
  httpAdmin.get(OPERATOR_ROUTE, needsPermission('flows.read'), (_req: IncomingMessage, res: ServerResponse) => {
    void operatorSetup(getAuth()).then((setup) => answer(res, 200, setup));
  });
  httpAdmin.post(OPERATOR_ROUTE, needsPermission('flows.write'), (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await tryReadJsonBody(req, 4096);
      if (!body.ok) return answer(res, body.status, { error: body.error });
      const { username, password } = (body.value ?? {}) as { username?: unknown; password?: unknown };
      const made = await createFirstOperator(getAuth(), username, password);
      if (!made.ok) return answer(res, made.status, { error: made.error });
      log(`octopus users: operator "${made.username}" created from the editor`);
      answer(res, 201, { username: made.username });
    })().catch((err: Error) => answer(res, 500, { error: `the account could not be made: ${err.message}` }));
  });
}
