import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { webhookSignature } from '../../lib/notify/senders';

/**
 * Local stand-ins for the internet services notifications go to, speaking their protocols: an
 * HTTP server taking signed webhooks (it checks the HMAC signature) and the Telegram Bot API's
 * sendMessage, and a real SMTP server (the `smtp-server` package). Each records what it received
 * and counts deliveries per idempotency key, so tests count duplicates at the receiver.
 */
export interface WebhookHit {
  path: string;
  key: string;
  body: Record<string, unknown>;
  signatureOk: boolean;
}

export interface Receivers {
  httpUrl: string;
  smtpUrl: string;
  webhooks: WebhookHit[];
  telegram: { token: string; chatId: string; text: string }[];
  mails: { to: string; subject: string; messageId: string; text: string }[];
  /** Deliveries per idempotency key across all channels (webhook key, mail Message-ID, telegram #tag). */
  keys: Map<string, number>;
  /** Make the webhook path answer this status (e.g. 500) until set back to 200. */
  failPaths: Map<string, number>;
  /** Delay before answering a webhook (for crash tests). */
  webhookDelayMs: number;
  /** Webhooks received and not yet answered. */
  inFlight: number;
  secrets: Map<string, string>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startReceivers(): Promise<Receivers> {
  const r: Receivers = {
    httpUrl: '',
    smtpUrl: '',
    webhooks: [],
    telegram: [],
    mails: [],
    keys: new Map(),
    failPaths: new Map(),
    webhookDelayMs: 0,
    inFlight: 0,
    secrets: new Map(),
    close: () => Promise.resolve(),
  };
  const count = (k: string) => r.keys.set(k, (r.keys.get(k) ?? 0) + 1);
  const http: Server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = req.url ?? '/';
      const tg = /^\/bot([^/]+)\/sendMessage$/.exec(url);
      if (tg) {
        const body = JSON.parse(text) as { chat_id: string; text: string };
        r.telegram.push({ token: tg[1], chatId: String(body.chat_id), text: body.text });
        const key = /#(\S+)$/.exec(body.text)?.[1];
        if (key) count(key);
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ ok: true, result: { message_id: r.telegram.length, chat: { id: body.chat_id }, text: body.text } }));
        return;
      }
      r.inFlight++;
      if (r.webhookDelayMs > 0) await new Promise((done) => setTimeout(done, r.webhookDelayMs));
      r.inFlight--;
      const fail = r.failPaths.get(url);
      if (fail) {
        res.statusCode = fail;
        res.end('nope');
        return;
      }
      const secret = r.secrets.get(url);
      const ts = String(req.headers['x-octopus-timestamp'] ?? '');
      const sig = String(req.headers['x-octopus-signature'] ?? '');
      const key = String(req.headers['idempotency-key'] ?? '');
      r.webhooks.push({ path: url, key, body: JSON.parse(text) as Record<string, unknown>, signatureOk: secret !== undefined && sig === webhookSignature(secret, ts, text) });
      count(key);
      res.statusCode = 200;
      res.end('ok');
    });
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      void readBody(stream as unknown as IncomingMessage).then((raw) => {
        const header = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
        const messageId = header('Message-ID');
        r.mails.push({ to: session.envelope.rcptTo.map((a) => a.address).join(','), subject: header('Subject'), messageId, text: raw });
        count(messageId.replace(/^<|@octopus\.notify>$/g, ''));
        callback();
      });
    },
  });
  await new Promise<void>((done) => smtp.listen(0, '127.0.0.1', done));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  r.httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  r.smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
  r.close = async () => {
    http.closeAllConnections();
    await new Promise<void>((done) => http.close(() => done()));
    await new Promise<void>((done) => smtp.close(() => done()));
  };
  return r;
}
