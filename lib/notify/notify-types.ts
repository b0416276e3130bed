/** The shapes the notification parts share (db/009_notify.sql). */
export type ChannelKind = 'email' | 'webhook' | 'telegram' | 'inapp';
export type WebhookFormat = 'generic' | 'ntfy' | 'slack';
export type NotifySeverity = 'info' | 'warning' | 'critical';

/** What may be shown of a channel: never its secret. */
export interface ChannelConfig {
  /** email: the address. */
  to?: string;
  /** webhook: where to POST. */
  url?: string;
  format?: WebhookFormat;
  /** webhook with format ntfy: the topic. */
  topic?: string;
  /** telegram: the chat. */
  chatId?: string;
}

export interface Channel {
  id: number;
  userId: number;
  kind: ChannelKind;
  name: string;
  config: ChannelConfig;
  enabled: boolean;
  /** Whether a secret is stored (HMAC key, bot token, SMTP URL). */
  hasSecret: boolean;
}

/** A channel with its secret opened, for the dispatcher only. */
export interface OpenChannel extends Channel {
  secret?: string;
}

/** One item of a message: a notification, with its acknowledge link when it is an alert's. */
export interface MessageItem {
  title: string;
  body: string;
  severity: NotifySeverity;
  ackUrl?: string;
}

/** What goes out in one send: one notification, or a digest of several. */
export interface OutgoingMessage {
  /** The idempotency key: the same on every attempt of this message, across crashes and instances. */
  key: string;
  site: string;
  severity: NotifySeverity;
  title: string;
  text: string;
  items: MessageItem[];
  /** Notifications folded into this digest beyond the items listed. */
  more: number;
  /** Every notification (outbox row) this message carries, for receivers that count them. */
  notifications: { id: string; alertId: string | null }[];
}

export const SEVERITIES: readonly NotifySeverity[] = ['info', 'warning', 'critical'];

export function severityRank(s: string): number {
  return SEVERITIES.indexOf(s as NotifySeverity);
}
