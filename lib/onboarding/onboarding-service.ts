import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { SiteRole } from '../auth/permissions';
import { hashToken } from '../auth/tokens';
import { renderHubConfig } from '../hub/hub-config';
import type { BrokerEvent, LiveBrokerUsers } from '../mqtt-auth/live-users';
import { hashPassword, randomPassword } from '../mqtt-auth/password-hash';
import { siteProblem } from '../mqtt-auth/users';
import type { DeviceRecord } from '../registry/device-registry';
import { firmwareSnippets, type BrokerAddress, type Firmware, type FirmwareSnippet } from './firmware-config';
import { devicesOf, firstReading, type FirstReading } from './first-reading';
import type { RecentRejects } from './recent-rejects';
import { OnboardingStore, type ClientRecord, type House, type InvitationRecord } from './onboarding-store';

export const INVITATION_TTL_MS = 7 * 86_400_000;
const EVENTS_PER_CLIENT = 10;

export class OnboardingError extends Error {
  constructor(readonly status: 400 | 404 | 409 | 410 | 503, message: string) {
    super(message);
  }
}

export interface OnboardingOptions {
  /** The broker's live users, or undefined while none is reachable (adding a device then answers 503). */
  brokerUsers: () => Promise<LiveBrokerUsers | undefined>;
  /** The in-process broker's users (npm start), which forget theirs at restart; no network involved. */
  localUsers?: () => LiveBrokerUsers | undefined;
  /** The broker as devices see it; `requestHost` is the Host the caller reached Octopus by. */
  brokerAddress: (requestHost?: string) => BrokerAddress;
  /** host:port of the broker's TLS listener as hubs see it, and its CA certificate (PEM) for the hub bundle. */
  hub?: (requestHost?: string) => { central: string; caCert: string | undefined };
  /** What the parse nodes refused lately (told on a new device's page). */
  rejects?: RecentRejects;
  now?: () => number;
}

export interface IssuedCredentials {
  client: ClientRecord;
  password: string;
  snippets: FirmwareSnippet[];
}

/**
 * Houses, invitations and broker credentials: the decisions of onboarding, between the HTTP
 * routes (lib/api/onboarding-routes.ts) and the store and broker. A device's password is made
 * here, handed to the broker (which keeps its own hash) and to the caller once; the store keeps a
 * Mosquitto hash only, to refill the embedded broker at start.
 */
export class OnboardingService {
  private readonly events = new Map<string, BrokerEvent[]>();
  private watching?: LiveBrokerUsers;
  private stopWatching?: () => void;
  private readonly restored = new Set<LiveBrokerUsers>();
  private readonly now: () => number;

  constructor(private readonly options: OnboardingOptions) {
    this.now = options.now ?? Date.now;
  }

  private async broker(): Promise<LiveBrokerUsers> {
    let b: LiveBrokerUsers | undefined;
    try {
      b = await this.options.brokerUsers();
    } catch (err) {
      throw new OnboardingError(503, `the broker's admin client cannot log in: ${(err as Error).message}`);
    }
    // Not a passing failure but how this deployment is set up: its broker's users are files (npm run mqtt:users).
    if (!b) throw new OnboardingError(409, 'this broker\'s users are not managed live: set OCTOPUS_MQTT_ADMIN_USER and OCTOPUS_MQTT_ADMIN_PASSWORD (the dynamic security plugin\'s admin client, docs/security-mqtt.md), or use the embedded broker of npm start; with the file-based users, run npm run mqtt:users instead');
    this.watch(b);
    return b;
  }

  /** A change the broker must make now; its failure is the broker's, said as such. */
  private async tell(change: (b: LiveBrokerUsers) => Promise<void>): Promise<void> {
    const b = await this.broker();
    try {
      await change(b);
    } catch (err) {
      throw new OnboardingError(503, `the broker did not make the change: ${(err as Error).message}`);
    }
  }

  private watch(b: LiveBrokerUsers): void {
    if (this.watching === b) return;
    this.stopWatching?.();
    this.watching = b;
    this.stopWatching = b.onEvent((e) => this.record(e));
  }

  /** Events are kept per client id (Mosquitto's log names ids) and per username, a few each. */
  private record(e: BrokerEvent): void {
    for (const key of new Set([e.clientId, e.username].filter((k): k is string => typeof k === 'string' && k.length <= 256))) {
      if (this.events.size > 10_000 && !this.events.has(key)) return;
      const list = this.events.get(key) ?? [];
      list.push(e);
      if (list.length > EVENTS_PER_CLIENT) list.shift();
      this.events.set(key, list);
    }
  }

  /** The embedded broker forgets its users when it stops: it gets them back from the database once per start. */
  async restore(pool: Pool): Promise<void> {
    const b = this.options.localUsers?.();
    if (!b) return;
    this.watch(b);
    if (!b.restore || this.restored.has(b)) return;
    this.restored.add(b);
    for (const c of await new OnboardingStore(pool).activeClients()) b.restore({ username: c.username, site: c.site, clientId: c.clientId, hash: c.passwordHash });
  }

  /** The broker's kind as last seen (none until it was first reached). */
  brokerKind(): 'mosquitto-dynsec' | 'embedded' | 'none' {
    return this.watching?.kind ?? 'none';
  }

  async createHouse(pool: Pool, h: House, by: string): Promise<House> {
    const problem = siteProblem(h.site);
    if (problem) throw new OnboardingError(400, problem);
    const made = await new OnboardingStore(pool).createHouse(h, by);
    if (!made) throw new OnboardingError(409, `house "${h.site}" already exists`);
    return made;
  }

  async invite(pool: Pool, i: { site: string; role: SiteRole; email: string | null; by: string }): Promise<{ invitation: InvitationRecord; token: string }> {
    const token = `inv_${randomBytes(32).toString('base64url')}`;
    const invitation = await new OnboardingStore(pool).createInvitation({ tokenHash: hashToken(token), site: i.site, role: i.role, email: i.email, createdBy: i.by, expiresAt: this.now() + INVITATION_TTL_MS });
    return { invitation, token };
  }

  /** Uses the invitation once, then `makeUser` (undefined: the username is taken, and the invitation stays usable). */
  async accept<U extends { id: number }>(pool: Pool, token: string, makeUser: (site: string, role: SiteRole) => Promise<U | undefined>): Promise<U> {
    const store = new OnboardingStore(pool);
    const inv = await store.takeInvitation(hashToken(token), this.now());
    if (!inv) throw new OnboardingError(410, 'this invitation is unknown, used or expired: ask for a new one');
    let user: U | undefined;
    try {
      user = await makeUser(inv.site, inv.role);
    } finally {
      await store.finishInvitation(inv.id, user?.id ?? null);
    }
    if (!user) throw new OnboardingError(409, 'that username is taken: choose another');
    return user;
  }

  async addClient(pool: Pool, d: { site: string; kind: 'device' | 'hub'; name: string; room: string | null; deviceKind: string | null; firmware: Firmware; by: string }, requestHost?: string): Promise<IssuedCredentials> {
    const problem = siteProblem(d.site);
    if (problem) throw new OnboardingError(400, problem);
    const broker = await this.broker();
    const slug = d.name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 16) || d.kind;
    const topicId = `${slug}-${randomBytes(2).toString('hex')}`;
    const clientId = `${d.site}-${topicId}`.slice(0, 96);
    const username = d.kind === 'hub' ? clientId : `${topicId}@${d.site}`;
    const password = randomPassword();
    const store = new OnboardingStore(pool);
    const client = await store.insertClient({ site: d.site, kind: d.kind, name: d.name, room: d.room, deviceKind: d.deviceKind, firmware: d.firmware, topicId, username, clientId, passwordHash: hashPassword(password), createdBy: d.by });
    if (!client) throw new OnboardingError(409, 'a device with that topic id exists already: try again');
    try {
      await broker.addClient({ username, password, clientId, site: d.site, textname: `${d.kind} ${d.name}` });
    } catch (err) {
      await store.revoked(client.id);
      throw new OnboardingError(503, `the broker did not take the new user: ${(err as Error).message}`);
    }
    return { client, password, snippets: this.snippets(client, password, requestHost) };
  }

  address(requestHost?: string): BrokerAddress {
    return this.options.brokerAddress(requestHost);
  }

  snippets(c: ClientRecord, password: string, requestHost?: string): FirmwareSnippet[] {
    return firmwareSnippets(c.firmware as Firmware, this.options.brokerAddress(requestHost), { site: c.site, room: c.room ?? 'room', topicId: c.topicId, username: c.username, password, clientId: c.clientId });
  }

  async rotate(pool: Pool, c: ClientRecord, requestHost?: string): Promise<IssuedCredentials> {
    if (c.revokedAt !== null) throw new OnboardingError(410, 'its credentials were revoked: add it again');
    const password = randomPassword();
    await this.tell(async (b) => b.setPassword(c.username, password));
    await new OnboardingStore(pool).rotated(c.id, hashPassword(password));
    return { client: { ...c, rotatedAt: this.now() }, password, snippets: this.snippets(c, password, requestHost) };
  }

  async revoke(pool: Pool, c: ClientRecord): Promise<void> {
    await this.tell(async (b) => b.revoke(c.username));
    await new OnboardingStore(pool).revoked(c.id);
  }

  status(c: ClientRecord, registry: Iterable<DeviceRecord>, timeZone?: string): FirstReading {
    const events = [...(this.events.get(c.clientId) ?? []), ...(this.events.get(c.username) ?? [])];
    const unique = [...new Set(events)].sort((a, b) => a.at - b.at);
    return firstReading(c, devicesOf(c, registry), unique, this.brokerKind(), timeZone, this.options.rejects?.of(c.site, c.topicId, c.createdAt) ?? []);
  }

  /** The hub's bundle: its Mosquitto config (bridge to the central broker over TLS), its credentials, the CA certificate. */
  hubBundle(c: ClientRecord, password: string, requestHost?: string): { mosquittoConf: string; username: string; password: string; clientId: string; caCert: string | null; central: string } {
    const hub = this.options.hub?.(requestHost);
    const address = this.options.brokerAddress(requestHost);
    const central = hub?.central ?? `${address.host}:${address.tlsPort ?? 8883}`;
    const mosquittoConf = renderHubConfig({ site: c.site, central, password, username: c.username, localBind: '127.0.0.1', caFile: '/mosquitto/config/certs/central-ca.crt' });
    return { mosquittoConf, username: c.username, password, clientId: c.clientId, caCert: hub?.caCert ?? null, central };
  }
}
