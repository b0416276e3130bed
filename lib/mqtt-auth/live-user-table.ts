import { aclRules, type AclRules } from './acl';
import type { DeviceClient } from './dynsec-commands';
import type { BrokerEvent, LiveBrokerUsers, StoredClient } from './live-users';
import { hashPassword, verifyPassword } from './password-hash';

interface LiveUser {
  site: string;
  clientId: string;
  hash: string;
}

/**
 * The embedded broker's provisioned users (the in-process twin of the dynamic security plugin):
 * devices and hubs added through the API, each with its house's rules (acl.ts) and one exact
 * client id. The aedes broker asks `authenticate` before its file-based users, and closes every
 * connection of a user `revoke` names (through `onRevoke`). Only hashes are kept.
 */
export class LiveUserTable implements LiveBrokerUsers {
  readonly kind = 'embedded' as const;
  private readonly users = new Map<string, LiveUser>();
  private readonly listeners = new Set<(e: BrokerEvent) => void>();
  private readonly revokers = new Set<(username: string) => void>();

  has(username: string | undefined): boolean {
    return username !== undefined && this.users.has(username);
  }

  async addClient(c: DeviceClient): Promise<void> {
    if (this.users.has(c.username)) throw new Error(`the broker refused createClient: client ${c.username} already exists`);
    this.users.set(c.username, { site: c.site, clientId: c.clientId, hash: hashPassword(c.password) });
  }

  restore(c: StoredClient): void {
    this.users.set(c.username, { site: c.site, clientId: c.clientId, hash: c.hash });
  }

  async setPassword(username: string, password: string): Promise<void> {
    const u = this.users.get(username);
    if (!u) throw new Error(`the broker refused setClientPassword: client ${username} not found`);
    u.hash = hashPassword(password);
    // A new password ends the sessions made with the old one.
    for (const r of this.revokers) r(username);
  }

  async revoke(username: string): Promise<void> {
    this.users.delete(username);
    for (const r of this.revokers) r(username);
  }

  /**
   * The user's rules when the password is right and the client id is the one it was given; else
   * undefined, after telling listeners why. Unknown usernames answer undefined silently (the
   * broker's other users may know them).
   */
  authenticate(username: string, password: string | undefined, clientId: string): AclRules | undefined {
    const u = this.users.get(username);
    if (!u) return undefined;
    if (password === undefined || !verifyPassword(u.hash, password)) {
      this.emit({ kind: 'auth-refused', username, clientId, at: Date.now(), detail: 'wrong password' });
      return undefined;
    }
    if (clientId !== u.clientId) {
      this.emit({ kind: 'client-id-refused', username, clientId, at: Date.now(), detail: `client id "${clientId}" is not "${u.clientId}"` });
      return undefined;
    }
    this.emit({ kind: 'connected', username, clientId, at: Date.now() });
    return aclRules({ username, role: 'devices', site: u.site });
  }

  /** Called by the broker for a publish its rules refused. */
  denied(username: string, clientId: string, topic: string): void {
    if (this.users.has(username)) this.emit({ kind: 'publish-denied', username, clientId, topic: topic.slice(0, 300), at: Date.now() });
  }

  onRevoke(r: (username: string) => void): () => void {
    this.revokers.add(r);
    return () => this.revokers.delete(r);
  }

  onEvent(listener: (e: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }
}
