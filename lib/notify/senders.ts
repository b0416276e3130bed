import { createHmac } from 'node:crypto';
import type { OpenChannel, OutgoingMessage } from './notify-types';

/**
 * How a message leaves: one function per channel kind. Each carries the message's idempotency
 * key where the receiver can see it (the `Idempotency-Key` header of webhooks, the Message-ID of
 * mail, the text's last line for Telegram, which has no such field), so a resend after a crash is
 * recognisable as the same message. Every call is bounded by a timeout.
 */
export interface SenderOptions {
  /** SMTP server when the channel holds none: smtp(s)://user:pass@host:port (OCTOPUS_SMTP_URL). */
  smtpUrl?: string;
  /** Sender address of mail (OCTOPUS_SMTP_FROM). */
  mailFrom?: string;
  /** Bot API base (OCTOPUS_TELEGRAM_API_URL, default https://api.telegram.org). */
  telegramApiUrl?: string;
  timeoutMs?: number;
}

export type Sender = (channel: OpenChannel, message: OutgoingMessage) => Promise<void>;

export const SIGNATURE_HEADER = 'X-Octopus-Signature';
export const TIMESTAMP_HEADER = 'X-Octopus-Timestamp';

/** The webhook signature: HMAC-SHA256 over `<timestamp>.<body>` with the channel's secret, hex. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The message as plain text: title, items, "N more", the acknowledge links. */
export function plainText(m: OutgoingMessage): string {
  const lines = [m.title, ''];
  for (const it of m.items) {
    lines.push(m.items.length > 1 ? `• ${it.title}` : it.body);
    if (m.items.length > 1) lines.push(`  ${it.body.split('\n')[0]}`);
    if (it.ackUrl) lines.push(`  Acknowledge: ${it.ackUrl}`);
  }
  if (m.more > 0) lines.push(`… and ${m.more} more`);
  return lines.join('\n');
}

export function webhookPayload(channel: OpenChannel, m: OutgoingMessage): unknown {
  const format = channel.config.format ?? 'generic';
  if (format === 'slack') return { text: `*${m.title}*\n${plainText(m).split('\n').slice(2).join('\n')}` };
  if (format === 'ntfy') {
    const ack = m.items.find((i) => i.ackUrl)?.ackUrl;
    return {
      topic: channel.config.topic ?? 'octopus',
      title: m.title,
      message: plainText(m).split('\n').slice(2).join('\n'),
      priority: m.severity === 'critical' ? 5 : m.severity === 'warning' ? 4 : 3,
      tags: [m.severity],
      ...(ack ? { actions: [{ action: 'view', label: 'Acknowledge', url: ack }] } : {}),
    };
  }
  return { id: m.key, site: m.site, severity: m.severity, title: m.title, text: m.text, items: m.items, more: m.more, notifications: m.notifications };
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(`${url.replace(/\/bot[^/]+\//, '/bot***/')} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
  return res;
}

export function createSenders(options: SenderOptions = {}): Record<'email' | 'webhook' | 'telegram', Sender> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // One nodemailer transport per SMTP server, loaded only when mail is sent.
  const transports = new Map<string, Promise<{ sendMail(m: object): Promise<unknown> }>>();
  const transport = (url: string) => {
    let t = transports.get(url);
    if (!t) {
      // An optional dependency (the flow library counts runtime ones): without it only e-mail is off.
      t = import('nodemailer').then(
        (nm) => nm.createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs } as Parameters<typeof nm.createTransport>[0]),
        () => {
          transports.delete(url);
          throw new Error('e-mail needs the optional dependency nodemailer: npm install nodemailer');
        },
      );
      transports.set(url, t);
    }
    return t;
  };

  return {
    async webhook(channel, m) {
      if (!channel.config.url) throw new Error('webhook channel has no URL');
      const body = JSON.stringify(webhookPayload(channel, m));
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = { 'Idempotency-Key': m.key, [TIMESTAMP_HEADER]: timestamp };
      if (channel.secret) headers[SIGNATURE_HEADER] = webhookSignature(channel.secret, timestamp, body);
      await post(channel.config.url, body, headers, timeoutMs);
    },
    async telegram(channel, m) {
      if (!channel.secret) throw new Error('telegram channel has no bot token');
      if (!channel.config.chatId) throw new Error('telegram channel has no chat id');
      const base = (options.telegramApiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
      const text = `${plainText(m)}\n\n#${m.key}`.slice(0, 4096);
      const res = await post(`${base}/bot${channel.secret}/sendMessage`, JSON.stringify({ chat_id: channel.config.chatId, text, disable_web_page_preview: true }), {}, timeoutMs);
      const answer = (await res.json().catch(() => undefined)) as { ok?: boolean; description?: string } | undefined;
      if (answer?.ok !== true) throw new Error(`telegram refused the message: ${answer?.description ?? 'no answer'}`);
    },
    async email(channel, m) {
      const url = channel.secret || options.smtpUrl;
      if (!url) throw new Error('no SMTP server: set OCTOPUS_SMTP_URL or give the channel one');
      if (!channel.config.to) throw new Error('e-mail channel has no address');
      const t = await transport(url);
      await t.sendMail({
        from: options.mailFrom ?? 'Octopus <octopus@localhost>',
        to: channel.config.to,
        subject: m.title,
        text: plainText(m),
        messageId: `<${m.key}@octopus.notify>`,
        headers: { 'X-Octopus-Notification': m.key },
      });
    },
  };
}
