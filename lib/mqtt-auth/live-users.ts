import type { DeviceClient } from './dynsec-commands';

/**
 * Broker users made and revoked while the broker runs, one interface for both brokers: Mosquitto's
 * dynamic security plugin (dynsec-admin.ts) and the embedded aedes broker (live-user-table.ts).
 * A device or hub gets its own username, password and exact client id, bound to its house's rules
 * (acl.ts); revoking it disconnects it at once and refuses it from then on.
 */
export interface LiveBrokerUsers {
  readonly kind: 'mosquitto-dynsec' | 'embedded';
  addClient(c: DeviceClient): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  revoke(username: string): Promise<void>;
  /** The embedded broker only: takes back a user kept in the database (Mosquitto's plugin keeps its own). */
  restore?(c: StoredClient): void;
  /** What the broker tells of its clients (refused logins, refused publishes), as far as it can. */
  onEvent(listener: (e: BrokerEvent) => void): () => void;
}

export interface BrokerEvent {
  kind: 'auth-refused' | 'client-id-refused' | 'publish-denied' | 'connected';
  /** The client id the broker names (Mosquitto's log names ids, not usernames). */
  clientId?: string;
  username?: string;
  topic?: string;
  at: number;
  detail?: string;
}

/** A provisioned user as the database keeps it (a Mosquitto `$7$` hash), for brokers that forget theirs at restart. */
export interface StoredClient {
  username: string;
  site: string;
  clientId: string;
  hash: string;
}
