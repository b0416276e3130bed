import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkRules } from '../../lib/alerts/rules';
import { tryReadJsonBody } from '../../lib/api/http';
import type { AdminApp, Middleware } from '../../lib/runtime/octopus-runtime';

/**
 * The editor checks the rule list with the same validation the node runs, before deploying:
 * POST /octopus-alert/check-rules {rules} → {ok, count} or {ok: false, errors}. Mounted once per
 * Node-RED instance by the Octopus runtime (nodes/octopus-runtime.ts).
 */
export function mountCheckRulesRoute(httpAdmin: AdminApp, needsPermission: (p: string) => Middleware): void {
  httpAdmin.post('/octopus-alert/check-rules', needsPermission('octopus-alert.write'), (req: IncomingMessage, res: ServerResponse) => {
    // The API's one body reader: what it refuses (not JSON, too large) is told as the check's own error.
    void tryReadJsonBody(req, 4 * 1024 * 1024).then((read) => {
      let answer: { ok: boolean; errors?: string[]; count?: number };
      if (!read.ok) answer = { ok: false, errors: [read.error] };
      else {
        let rules = (read.value as { rules?: unknown } | null)?.rules;
        try {
          if (typeof rules === 'string') rules = rules.trim() === '' ? [] : JSON.parse(rules);
          const checked = checkRules(rules);
          answer = checked.ok ? { ok: true, count: checked.rules.length } : { ok: false, errors: checked.errors };
        } catch (err) {
          answer = { ok: false, errors: [`the rules are not valid JSON: ${(err as Error).message}`] };
        }
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
}
