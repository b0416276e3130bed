/**
 * The parse node's admin routes for its "try a message" panel (issue #17), mounted once per
 * Node-RED instance by the Octopus runtime (nodes/octopus-runtime.ts):
 *  - POST /octopus-parse/try  {config, topic, payload, base64?} → {result}: the message read with the
 *    editor's current settings, deployed or not;
 *  - GET /octopus-parse/:id/recent → {messages}: the last 50 messages that node saw (in memory);
 *  - GET /octopus-parse/try-panel.js: the panel's script, which the node's .html loads (static, unguarded).
 * The first two need the `octopus-parse.write` permission: payloads are the house's data, and reading them
 * is for the operators who may change the flow, not for read-only editor users.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { errorAnswer, readJsonBody, sendJson } from '../../lib/api/http';
import type { RecentMessages } from '../../lib/parser/recent-messages';
import { MAX_TRY_PAYLOAD, tryMessage } from '../../lib/parser/try-message';
import type { AdminApp, Middleware } from '../../lib/runtime/octopus-runtime';

const NODE_ID = /^[0-9a-zA-Z._-]{1,64}$/;

/** `recentByNode`: the running parse nodes' recent messages, by node id (the runtime's map). */
export function mountTryRoutes(httpAdmin: AdminApp, needsPermission: (p: string) => Middleware, recentByNode: ReadonlyMap<string, RecentMessages>): void {
  const permission = needsPermission('octopus-parse.write');

  // The panel's script, beside this file (copied by scripts/copy-assets.mjs), read once. Static
  // code and no data, served like Node-RED's own editor resources: the editor loads node .html
  // scripts without its login token, so a guard here would stop the whole node set from loading.
  const panel = readFileSync(join(__dirname, 'public', 'try-panel.js'));
  httpAdmin.get('/octopus-parse/try-panel.js', (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(panel);
  });

  httpAdmin.post('/octopus-parse/try', permission, (req: IncomingMessage, res: ServerResponse) => {
    readJsonBody(req as Parameters<typeof readJsonBody>[0], 2 * MAX_TRY_PAYLOAD).then(
      (body) => {
        const answer = tryMessage(body);
        sendJson(res, answer.status, answer.body);
      },
      (err: unknown) => {
        const e = errorAnswer(err);
        sendJson(res, e.status, { error: { code: 'invalid-body', message: e.message } });
      },
    );
  });

  httpAdmin.get('/octopus-parse/:id/recent', permission, (req: IncomingMessage & { params?: Record<string, string> }, res: ServerResponse) => {
    const id = req.params?.id ?? '';
    if (!NODE_ID.test(id)) {
      sendJson(res, 400, { error: { code: 'invalid-id', message: 'not a node id' } });
      return;
    }
    const recent = recentByNode.get(id);
    // a node not deployed yet (or deployed with another id) has seen nothing: an empty list, said so
    sendJson(res, 200, { deployed: recent !== undefined, messages: recent ? recent.list() : [] });
  });
}
