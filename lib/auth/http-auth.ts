import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../api/http';
import type { AuthService } from './auth-service';
import type { Principal } from './permissions';
import { readCookie, sessionSetCookie } from './session-cookie';
import { sameSecret } from './tokens';

/**
 * The HTTP side of authentication, shared by the REST API, the alerts API and the dashboard:
 * credentials from the request (session cookie or bearer token), CSRF proof for writes made with
 * a cookie, the session cookie itself, and the security headers every answer carries.
 */
export const SESSION_COOKIE = 'octopus_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface RequestWithPrincipal extends IncomingMessage {
  octopusPrincipal?: Principal | null;
  originalUrl?: string;
}

/** Headers for JSON answers: nothing in them may run, be sniffed or be framed. */
export function apiSecurityHeaders(res: ServerResponse): void {
  if (res.headersSent) return;
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Headers for pages (the dashboard, the login page): scripts and styles from this origin only, never inline. */
export function pageSecurityHeaders(res: ServerResponse): void {
  if (res.headersSent) return;
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
}

function trustProxy(): boolean {
  return process.env.OCTOPUS_TRUST_PROXY === '1';
}

/**
 * The address login attempts are counted against. Behind the trusted proxy it is the right-most
 * X-Forwarded-For entry, the one that proxy added: those left of it are whatever the client sent.
 */
export function clientAddress(req: IncomingMessage): string {
  if (trustProxy()) {
    const hops = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (hops.length > 0) return hops[hops.length - 1];
  }
  return req.socket.remoteAddress ?? 'unknown';
}

export function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy() && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https';
}

export function credentialsOf(req: IncomingMessage): { sessionToken?: string; bearer?: string } {
  const header = req.headers.authorization;
  const bearer = header && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
  return { bearer, sessionToken: readCookie(req.headers.cookie, SESSION_COOKIE) };
}

export function sessionCookie(req: IncomingMessage, token: string, expiresAt: number): string {
  return sessionSetCookie(SESSION_COOKIE, token, { secure: isHttps(req) || process.env.OCTOPUS_COOKIE_SECURE === '1', expires: new Date(expiresAt) });
}

export function clearedSessionCookie(req: IncomingMessage): string {
  return sessionSetCookie(SESSION_COOKIE, '', { secure: isHttps(req) || process.env.OCTOPUS_COOKIE_SECURE === '1' });
}

/**
 * Whether the request comes from a page of this server: its Origin (or, without one, its
 * Referer) must name this host, or one listed in OCTOPUS_ALLOWED_ORIGINS (comma-separated,
 * for a reverse proxy that rewrites Host). Requests with neither header are not from a browser
 * page and pass this check; they still need the CSRF token.
 */
export function originProblem(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(String(req.headers.referer)) : undefined);
  if (origin === undefined) return undefined;
  const host = String((trustProxy() && req.headers['x-forwarded-host']) || req.headers.host || '');
  const allowed = (process.env.OCTOPUS_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const originHost = safeHost(origin);
  if (originHost !== undefined && originHost === host.toLowerCase()) return undefined;
  if (allowed.includes(origin)) return undefined;
  return `cross-site request refused (origin ${origin})`;
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

export function isStateChanging(req: IncomingMessage): boolean {
  return !SAFE_METHODS.has((req.method ?? 'GET').toUpperCase());
}

/**
 * Who sent the request, or undefined; looked up once per request. Never throws for bad
 * credentials (they simply prove nothing).
 */
export async function principalOf(auth: AuthService, req: IncomingMessage): Promise<Principal | undefined> {
  const r = req as RequestWithPrincipal;
  if (r.octopusPrincipal !== undefined) return r.octopusPrincipal ?? undefined;
  const p = await auth.principal(credentialsOf(req));
  r.octopusPrincipal = p ?? null;
  return p;
}

/**
 * The signed-in principal, or an HttpError: 503 without a user store, 401 without valid
 * credentials, 403 for a write made with a session cookie but without its CSRF token or from
 * another origin. Bearer tokens are not sent by browsers on their own, so they need no CSRF proof.
 */
export async function requirePrincipal(getAuth: () => AuthService | undefined, req: IncomingMessage): Promise<Principal> {
  const auth = getAuth();
  if (!auth) throw new HttpError(503, 'sign-in is unavailable: no octopus-postgres database node is deployed');
  const p = await principalOf(auth, req).catch((err: Error) => {
    throw new HttpError(503, `sign-in is unavailable: ${err.message}`);
  });
  if (!p) throw new HttpError(401, 'sign in first: send the session cookie or an Authorization: Bearer token');
  if (p.via === 'session' && isStateChanging(req)) {
    const problem = originProblem(req);
    if (problem) throw new HttpError(403, problem);
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !p.csrfToken || !sameSecret(sent, p.csrfToken)) {
      throw new HttpError(403, `missing or wrong CSRF token: send the ${CSRF_HEADER} header given at login (GET /auth/me shows it)`);
    }
  }
  return p;
}
