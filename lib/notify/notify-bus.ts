import { EventEmitter } from 'node:events';

/**
 * Where the notification parts tell the live stream about a user's notification centre:
 * `unread` (userId, { unread, latest? }) when an in-app notification arrives or is read. One per
 * process, like the other shared slots (issue #16 moves them into the runtime).
 */
export interface UnreadEvent {
  unread: number;
  latest?: { title: string; body: string; severity: string; site: string };
}

export const notifyBus = new EventEmitter();
notifyBus.setMaxListeners(50);

export function announceUnread(userId: number, e: UnreadEvent): void {
  notifyBus.emit('unread', userId, e);
}
