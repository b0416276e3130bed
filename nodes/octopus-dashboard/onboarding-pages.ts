import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/**
 * The onboarding pages (issue #19): `/ui/onboarding` (houses, devices, hubs, invitations; for the
 * signed-in, who are sent to sign in otherwise) and `/ui/accept` (accepting an invitation: open, the
 * token in its link is the credential). Their scripts are ES modules under public/: the onboarding
 * page's through the dashboard's static route, the accept page's beside it (open, like the page).
 */
type Req = IncomingMessage & { originalUrl?: string; baseUrl?: string };
interface App {
  get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

const PUBLIC_DIR = join(__dirname, 'public');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendPage(req: Req, res: ServerResponse, html: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(html.replace('{{API_BASE}}', escapeAttribute(`${req.baseUrl ?? ''}/api/v1`)));
}

export function registerOnboardingPages(app: App, path: string, signedIn: (req: IncomingMessage) => Promise<boolean>): void {
  const onboarding = readFileSync(join(PUBLIC_DIR, 'onboarding.html'), 'utf8');
  const accept = readFileSync(join(PUBLIC_DIR, 'accept.html'), 'utf8');
  const acceptScript = readFileSync(join(PUBLIC_DIR, 'accept.js'), 'utf8');
  app.get(`${path}/onboarding`, (req, res) => {
    signedIn(req).then(
      (ok) => {
        if (ok) return sendPage(req as Req, res, onboarding);
        res.statusCode = 302;
        res.setHeader('Location', 'login');
        res.end();
      },
      () => {
        res.statusCode = 503;
        res.end();
      },
    );
  });
  app.get(`${path}/accept`, (req, res) => sendPage(req as Req, res, accept));
  // Served beside the page, not under static/ (which needs a session): whoever accepts has none yet.
  app.get(`${path}/accept.js`, (_req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.end(acceptScript);
  });
}
