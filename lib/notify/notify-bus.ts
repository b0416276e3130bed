import { EventEmitter } from 'node:events';

/** A user's notification centre as the live stream tells it: the unread count and the newest. */
export interface UnreadEvent {
  unread: number;
  latest?: { title: string; body: string; severity: string; site: string };
}

/**
 * Where the notification parts tell the dashboards about a user's notification centre:
 * `unread` (userId, event) when an in-app notification arrives or is read. One per Octopus
 * runtime (`OctopusRuntime.notifyUnread`), so two Node-RED instances in one process never hear
 * each other's users.
 */
export class UnreadBus extends EventEmitter {
  constructor() {
    super();
    // One listener per dashboard node; a few dozen is still normal.
    this.setMaxListeners(50);
  }

  announce(userId: number, e: UnreadEvent): void {
    this.emit('unread', userId, e);
  }
}
