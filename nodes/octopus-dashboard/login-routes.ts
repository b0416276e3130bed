import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AuthService } from '../../lib/auth/auth-service';
import { operatorSetup, type OperatorSetup } from '../../lib/auth/first-operator';
import { pageSecurityHeaders } from '../../lib/auth/http-auth';
import type { HttpApp } from './dashboard-routes';

/**
 * The sign-in page at <path>/login: open to everyone (the dashboard's own routes are not), a form
 * whose script posts to the REST API's login. Its files are read once; the page is told where the
 * API lives through a meta tag, as it runs no inline script.
 */
const PUBLIC_DIR = join(__dirname, 'public');
const FILES: Record<string, { file: string; type: string }> = {
  'login.js': { file: 'login.js', type: 'text/javascript; charset=utf-8' },
  'login.css': { file: 'login.css', type: 'text/css; charset=utf-8' },
};

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function send(res: ServerResponse, type: string, body: string): void {
  pageSecurityHeaders(res);
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  res.end(body);
}

/**
 * What the sign-in page says when nobody can sign in yet: how the first account is made (in a stock
 * Node-RED nobody set OCTOPUS_ADMIN_USER, and "admin/admin" is not a thing here).
 */
export function setupNotice(setup: OperatorSetup): string {
  if (setup.state === 'needed') {
    return (
      '<p id="login-setup" class="setup" role="note"><b>No operator account exists yet.</b> Someone who can deploy flows in ' +
      'the Node-RED editor creates it: open the <i>live dashboard</i> node (double-click it), fill in ' +
      '<i>Operator account</i> and press <i>Create operator</i>. No restart is needed; then sign in here.</p>'
    );
  }
  if (setup.state === 'no-user-store') {
    return '<p id="login-setup" class="setup" role="note"><b>Sign-in is not set up.</b> Deploy a flow with an Octopus database node (octopus-postgres) in the Node-RED editor.</p>';
  }
  if (setup.state === 'unavailable') {
    return '<p id="login-setup" class="setup" role="note"><b>Sign-in is unavailable:</b> the database does not answer. The Node-RED log says why.</p>';
  }
  return '';
}

/** The sign-in page under `path`, mounted once per dashboard path by the Octopus runtime; `getAuth` is its user store. */
export function mountLoginPage(app: HttpApp, path: string, getAuth: () => AuthService | undefined): void {
  // Once an operator exists that stays so: the page stops asking the database on every visit.
  let ready: { auth: object; until: number } | undefined;
  const currentSetup = async (): Promise<OperatorSetup> => {
    const auth = getAuth();
    if (auth && ready?.auth === auth && Date.now() < ready.until) return { state: 'ready', operators: 1 };
    const setup = await operatorSetup(auth);
    ready = auth && setup.state === 'ready' ? { auth, until: Date.now() + 10_000 } : undefined;
    return setup;
  };
  const html = readFileSync(join(PUBLIC_DIR, 'login.html'), 'utf8');
  app.get(`${path}/login`, (req: IncomingMessage & { baseUrl?: string }, res) => {
    void currentSetup().then((setup) => {
      send(res, 'text/html; charset=utf-8', html.replace('{{API_BASE}}', escapeAttribute(`${req.baseUrl ?? ''}/api/v1`)).replace('{{SETUP}}', setupNotice(setup)));
    });
  });
  for (const [name, { file, type }] of Object.entries(FILES)) {
    const text = readFileSync(join(PUBLIC_DIR, file), 'utf8');
    app.get(`${path}/${name}`, (_req, res) => send(res, type, text));
  }
}
