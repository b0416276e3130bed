import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/**
 * The HTTP side of the API fuzz (test/http-fuzz.app.test.ts): one request with exactly the bytes
 * and headers it was given (fetch would mend them), on a keep-alive connection; and what must hold
 * of every answer.
 */

export interface FuzzRequest {
  method: string;
  /** Path and query as sent: raw, possibly with `..`, `%00` or malformed escapes. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Declare this many bytes fewer than the body has (a lying Content-Length); sent on a connection of its own. */
  shortBy?: number;
}

export interface FuzzAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
const oneShot = new Agent({ keepAlive: false });

export function closeConnections(): void {
  keepAlive.destroy();
  oneShot.destroy();
}

/** Sends one request; resolves with the answer (a live stream's headers are its answer). */
export function send(baseUrl: string, r: FuzzRequest, timeoutMs = 20000): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string> = { ...r.headers };
    const lying = r.body !== undefined && r.shortBy !== undefined;
    if (r.body !== undefined) headers['Content-Length'] = String(Math.max(0, r.body.length - (lying ? (r.shortBy as number) : 0)));
    if (lying) headers.Connection = 'close';
    const req = request(`${baseUrl}${r.path}`, { method: r.method, headers, agent: lying ? oneShot : keepAlive }, (res) => {
      answered = true;
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer (401, 413) and close before the whole body is sent: the answer counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(r.body);
  });
}

/** Text that must never reach a caller: a stack line, the server's file paths. */
export function leakOfInsides(text: string): string | undefined {
  if (/\n\s+at /.test(text) || /\bat \S+ \(\S+:\d+:\d+\)/.test(text)) return 'a stack trace';
  for (const p of ['/node_modules/', '/dist/', '/work/']) if (text.includes(p)) return `a file path (${p})`;
  return undefined;
}

/**
 * What is wrong with an answer, if anything: a 5xx; under /api/v1 anything but JSON, or an error
 * status without an `error` sentence; a stack trace or file path anywhere; and for a caller of
 * house B, any of house A's `secrets` that the request did not itself carry (an echo is no leak).
 */
export function answerProblem(r: FuzzRequest, a: FuzzAnswer, secrets: readonly string[] = []): string | undefined {
  if (a.status >= 500) return `a ${a.status}`;
  // A body longer than its Content-Length: node:http reads the rest as the next request and refuses it (a bare 400, then closes).
  if (r.shortBy !== undefined && a.status === 400 && a.text === '' && a.headers['content-type'] === undefined) return undefined;
  const leak = leakOfInsides(a.text) ?? leakOfInsides(JSON.stringify(a.headers));
  if (leak) return `an answer with ${leak}`;
  // An export's 200 is the documented CSV or NDJSON stream, not JSON.
  const exported = a.status === 200 && /\/export(?:\?|$)/.test(r.path) && /^(?:text\/csv|application\/x-ndjson)\b/.test(String(a.headers['content-type']));
  if (r.path.startsWith('/api/v1') && !(a.status === 204 && a.text === '') && !exported) {
    if (!/^application\/json\b/.test(String(a.headers['content-type']))) return `an answer that is not JSON (${String(a.headers['content-type'])})`;
    let body: unknown;
    try {
      body = JSON.parse(a.text);
    } catch {
      return 'an answer that does not parse as JSON';
    }
    if (a.status >= 400 && typeof (body as { error?: unknown } | null)?.error !== 'string') return `a ${a.status} without an "error" sentence`;
  }
  if (secrets.length > 0) {
    const asked = requestText(r);
    const seen = `${a.text}\n${JSON.stringify(a.headers)}`;
    const shown = secrets.filter((s) => seen.includes(s) && !asked.includes(s));
    if (shown.length > 0) return `house A's ${shown.map((s) => JSON.stringify(s)).join(', ')} shown to house B`;
  }
  return undefined;
}

/** Everything the caller said, decoded every way the server might decode it. */
function requestText(r: FuzzRequest): string {
  const decoded = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return [r.path, decoded(r.path), ...Object.values(r.headers), r.body?.toString('utf8') ?? ''].join('\n');
}

const excerpt = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s);

/** A request and its answer as a failure message shows them. */
export function describeExchange(who: string, r: FuzzRequest, a: FuzzAnswer | Error): string {
  const headers = Object.entries(r.headers)
    .map(([k, v]) => `    ${k}: ${excerpt(v, 120)}`)
    .join('\n');
  const body = r.body === undefined ? '(none)' : `${r.body.length} bytes${r.shortBy ? `, Content-Length ${r.shortBy} short` : ''}: ${JSON.stringify(excerpt(r.body.toString('utf8'), 300))}`;
  const answer =
    a instanceof Error
      ? `  no answer: ${a.message}`
      : `  answer ${a.status} ${String(a.headers['content-type'])}\n    ${JSON.stringify(excerpt(a.text, 600))}`;
  return `  as ${who}: ${r.method} ${excerpt(r.path, 300)}\n${headers}\n  body ${body}\n${answer}`;
}
