import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The little HTTP the API needs, typed structurally: Node-RED hands us its express app
 * (RED.httpNode), but the pack must not depend on express being resolvable at run time, and the
 * routes need no more than node:http plus the `params` and `query` express adds.
 */
export interface ApiRequest extends IncomingMessage {
  params: Record<string, string>;
  /** Express's parsed query string: repeated or bracketed keys give arrays and objects. */
  query: Record<string, unknown>;
  /** Where the app is mounted (Node-RED's httpNodeRoot), for absolute links. */
  baseUrl?: string;
  /** Set by a body parser someone put in front of us (httpNodeMiddleware); the stream is then spent. */
  body?: unknown;
}

export type ApiHandler = (req: ApiRequest, res: ServerResponse) => void;

export interface HttpApp {
  get(path: string, handler: ApiHandler): unknown;
  post(path: string, handler: ApiHandler): unknown;
  put(path: string, handler: ApiHandler): unknown;
  patch(path: string, handler: ApiHandler): unknown;
  delete(path: string, handler: ApiHandler): unknown;
}

/** An answer other than success, thrown from anywhere in a handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  // Device state changes by the second: a cached answer would show the wrong state.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(text);
}

export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.statusCode = 204;
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end();
}

export function sendError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: message }, headers);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads a JSON request body: 415 unless it is declared JSON (UTF-8, no Content-Encoding), 413
 * beyond `limit` bytes, 400 when empty, not UTF-8 or not valid JSON (with the parser's own
 * message, which points at the spot). A leading BOM is ignored.
 */
export async function readJsonBody(req: ApiRequest, limit = MAX_BODY_BYTES): Promise<unknown> {
  const contentType = req.headers['content-type'] ?? '';
  const [mediaType, ...params] = contentType.split(';').map((s) => s.trim());
  if (!JSON_TYPE.test(mediaType)) {
    throw new HttpError(415, `the request body must be JSON: send Content-Type: application/json${mediaType ? `, not ${mediaType}` : ''}`);
  }
  const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new HttpError(415, `the request body must be UTF-8, not ${charset}`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge(limit);

  if (req.readableEnded || (req as { _body?: boolean })._body) {
    // Another body parser ran first (Node-RED's httpNodeMiddleware): use what it made of the body.
    if (req.body === undefined) throw new HttpError(400, 'the request body was consumed before the API could read it');
    return req.body;
  }
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') throw new HttpError(415, `the request body must not be compressed: Content-Encoding "${encoding}" is not accepted`);

  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        // The rest is drained by node:http once the answer is sent; the connection closes after it.
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => reject(new HttpError(400, 'the request body could not be read to its end')));
  });
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty: send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export type BodyRead = { ok: true; value: unknown } | { ok: false; status: number; error: string };

/** readJsonBody for the editor's admin routes, which answer in their own shapes: what it refuses comes back as a value. */
export function tryReadJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyRead> {
  return readJsonBody(req as ApiRequest, limit).then(
    (value): BodyRead => ({ ok: true, value }),
    (err: unknown): BodyRead => ({ ok: false, status: err instanceof HttpError ? err.status : 400, error: err instanceof Error ? err.message : String(err) }),
  );
}

function bodyTooLarge(limit: number): HttpError {
  return new HttpError(413, `the request body is larger than ${Math.round(limit / 1024)} KB`);
}

/** What a body parser's (or any middleware's) error means to the caller: a status and one sentence, no stack. */
export function errorAnswer(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown; expose?: unknown; limit?: unknown };
  const status = Number(e.status ?? e.statusCode);
  const message = typeof e.message === 'string' ? e.message : '';
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, message: `the request body is not valid JSON: ${message}` };
    case 'entity.too.large':
      return { status: 413, message: `the request body is too large${typeof e.limit === 'number' ? ` (at most ${Math.round(e.limit / 1024)} KB)` : ''}` };
    case 'encoding.unsupported':
      return { status: 415, message: `the request body's Content-Encoding is not accepted: ${message}` };
    case 'charset.unsupported':
      return { status: 415, message: `the request body must be UTF-8: ${message}` };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, message: 'the request body could not be read to its end' };
  }
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    // http-errors marks client errors as safe to show; anything else is summed up, never repeated.
    return { status, message: e.expose === true && message ? `bad request body: ${message}` : 'the request could not be read' };
  }
  return { status: 500, message: 'internal error' };
}

/** The part of an express app that error handling needs (RED.httpNode is one; a test's fake may lack it). */
interface Mountable {
  use?: (path: string, handler: (...args: never[]) => void) => unknown;
  parent?: Mountable;
  mountpath?: unknown;
}

/**
 * Answers errors under `prefix` (`/api/v1`, `/ui`) with `{"error": "<sentence>"}` instead of
 * Express's HTML page, whose stack trace shows the server's file paths: on `app` (errors from
 * middleware and our own routes) and, once `app` is mounted (RED.httpNode in Node-RED), on the app
 * it is mounted in. There it also catches what never reaches `app`: Node-RED's admin app parses
 * every JSON or form body on its way (its body parsers run for all paths when httpAdminRoot is
 * httpNodeRoot, as with `/`) and passes its errors past RED.httpNode to the host app's final
 * handler. Requests under `prefix` that nothing answered get a JSON 404 there too. Call once per
 * app and prefix (the runtime mounts each prefix once).
 */
export function answerErrorsAsJson(app: object, prefix: string): void {
  const target = app as Mountable;
  if (typeof target.use !== 'function') return;
  target.use(prefix, jsonErrors);
  const parent = target.parent;
  if (parent && typeof parent.use === 'function' && typeof target.mountpath === 'string') {
    const outer = `${target.mountpath.replace(/\/+$/, '')}${prefix}`;
    parent.use(outer, notFound);
    parent.use(outer, jsonErrors);
  }
}

type Next = (err?: unknown) => void;

function jsonErrors(err: unknown, _req: IncomingMessage, res: ServerResponse, next: Next): void {
  if (res.headersSent) return next(err);
  const { status, message } = errorAnswer(err);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Body parsers read (or drain) the whole body before they fail: the connection can serve the next request.
  sendError(res, status, message);
}

function notFound(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): void {
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0].slice(0, 200);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  sendError(res, 404, `nothing answers ${req.method ?? 'GET'} ${path}`);
}

/** Epoch ms as the API writes times: ISO 8601, UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
