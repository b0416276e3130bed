import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

/**
 * The operator every app a test starts gets (OCTOPUS_ADMIN_USER/PASSWORD): a password made up per
 * test run, never one written in the repo.
 */
export const TEST_ADMIN = { username: 'test-operator', password: randomBytes(18).toString('base64url') };

/** A signed-in browser-like client: the session cookie, and the CSRF token sent on every write. */
export interface Session {
  cookie: string;
  csrfToken: string;
  /** fetch against the app with the cookie, and on writes the X-CSRF-Token header. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** JSON helpers answering { status, body }. */
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function login(baseUrl: string, username = TEST_ADMIN.username, password = TEST_ADMIN.password): Promise<Session> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { csrfToken?: string; error?: string };
  assert.equal(res.status, 200, `login as ${username}: ${res.status} ${JSON.stringify(body)}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0];
  assert.match(cookie, /^octopus_session=/);
  return session(baseUrl, cookie, body.csrfToken as string);
}

export function session(baseUrl: string, cookie: string, csrfToken: string): Session {
  const doFetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Cookie', cookie);
    if (init.method && !['GET', 'HEAD'].includes(init.method.toUpperCase())) headers.set('X-CSRF-Token', csrfToken);
    return fetch(`${baseUrl}${path}`, { ...init, headers });
  };
  return {
    cookie,
    csrfToken,
    fetch: doFetch,
    json: (method, path, body) => jsonCall(doFetch, method, path, body),
  };
}

/** A client that authenticates with an API token (Authorization: Bearer). */
export function bearer(baseUrl: string, token: string): Pick<Session, 'fetch' | 'json'> {
  const doFetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    return fetch(`${baseUrl}${path}`, { ...init, headers });
  };
  return { fetch: doFetch, json: (method, path, body) => jsonCall(doFetch, method, path, body) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function jsonCall(doFetch: (path: string, init?: RequestInit) => Promise<Response>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await doFetch(path, init);
  const text = await res.text();
  return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

/** A token for Node-RED's admin API (adminAuth): POST /auth/token, the editor's own grant. */
export async function adminApiToken(baseUrl: string, username = TEST_ADMIN.username, password = TEST_ADMIN.password): Promise<string> {
  const res = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password }),
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, `admin API token for ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}
