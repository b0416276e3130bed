import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
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
const registered = new WeakMap<object, Set<string>>();

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function send(res: ServerResponse, type: string, body: string): void {
  pageSecurityHeaders(res);
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  res.end(body);
}

export function registerLoginPage(app: HttpApp, path: string): void {
  let paths = registered.get(app);
  if (!paths) registered.set(app, (paths = new Set()));
  if (paths.has(path)) return;
  paths.add(path);
  const html = readFileSync(join(PUBLIC_DIR, 'login.html'), 'utf8');
  app.get(`${path}/login`, (req: IncomingMessage & { baseUrl?: string }, res) => {
    send(res, 'text/html; charset=utf-8', html.replace('{{API_BASE}}', escapeAttribute(`${req.baseUrl ?? ''}/api/v1`)));
  });
  for (const [name, { file, type }] of Object.entries(FILES)) {
    const text = readFileSync(join(PUBLIC_DIR, file), 'utf8');
    app.get(`${path}/${name}`, (_req, res) => send(res, type, text));
  }
}
