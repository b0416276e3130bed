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

/**
 * Reads a JSON request body: 415 unless it is declared JSON (UTF-8), 413 beyond `limit` bytes,
 * 400 when empty or not valid JSON (with the parser's own message, which points at the spot).
 */
export async function readJsonBody(req: ApiRequest, limit = MAX_BODY_BYTES): Promise<unknown> {
  const contentType = req.headers['content-type'] ?? '';
  const [mediaType, ...params] = contentType.split(';').map((s) => s.trim());
  if (!JSON_TYPE.test(mediaType)) {
    throw new HttpError(415, `the request body must be JSON: send Content-Type: application/json${mediaType ? `, not ${mediaType}` : ''}`);
  }
  const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new HttpError(415, `the request body must be UTF-8, not ${charset}`);

  if (req.readableEnded || (req as { _body?: boolean })._body) {
    // Another body parser ran first (Node-RED's httpNodeMiddleware): use what it made of the body.
    if (req.body === undefined) throw new HttpError(400, 'the request body was consumed before the API could read it');
    return req.body;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge(limit);

  const text = await new Promise<string>((resolve, reject) => {
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
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty: send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function bodyTooLarge(limit: number): HttpError {
  return new HttpError(413, `the request body is larger than ${Math.round(limit / 1024)} KB`);
}

/** Epoch ms as the API writes times: ISO 8601, UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
