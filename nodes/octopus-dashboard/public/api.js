// @ts-check
// The REST API: JSON in and out; a failure becomes an ApiError carrying the API's sentence and
// status. Writes carry the session's CSRF token (session.js provides it).

/** The REST API's base path; the stream's snapshot tells the real one (under Node-RED's httpNodeRoot). */
let base = '/api/v1';
/** @type {{ csrfToken: string | null, ready: Promise<unknown> | null }} */
const auth = { csrfToken: null, ready: null };

export function apiBase() {
  return base;
}

/** @param {string} path */
export function setApiBase(path) {
  base = path;
}

/**
 * Writes wait for `ready` (the session being read), then send `csrfToken`.
 * @param {Promise<unknown>} ready
 */
export function setSessionReady(ready) {
  auth.ready = ready;
}

/** @param {string | null} token */
export function setCsrfToken(token) {
  auth.csrfToken = token;
}

export function csrfToken() {
  return auth.csrfToken;
}

/** The session has ended: to the sign-in page, keeping the page asked for. */
export function toLogin() {
  location.replace('login' + location.hash);
}

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {unknown} body
   */
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * Calls the API; resolves to the parsed JSON body (null when empty).
 * @param {string} path under the API's base, with its query
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>} the caller types what it reads
 */
export async function api(path, options = {}) {
  const method = options.method || 'GET';
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && auth.ready) await auth.ready;
  if (method !== 'GET' && auth.csrfToken) headers['X-CSRF-Token'] = auth.csrfToken;
  const res = await fetch(base + path, init);
  if (res.status === 401) toLogin();
  const text = await res.text();
  /** @type {any} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError((body && body.error) || res.status + ' ' + res.statusText, res.status, body);
  return body;
}

/**
 * A query string of the given parameters (empty ones left out; arrays repeat the name).
 * @param {Record<string, string | number | boolean | null | undefined | string[]>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
