import type { Pool } from 'pg';
import type { SiteRole } from '../auth/permissions';

/** The SQL of onboarding (db/008_onboarding.sql): houses, invitations, device and hub credentials. Parameterized. */
export interface House {
  site: string;
  name: string | null;
  timeZone: string;
  latitude: number | null;
  longitude: number | null;
}

export interface ClientRecord {
  id: number;
  site: string;
  kind: 'device' | 'hub';
  name: string;
  room: string | null;
  deviceKind: string | null;
  firmware: string;
  topicId: string;
  username: string;
  clientId: string;
  passwordHash: string;
  createdAt: number;
  createdBy: string;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface InvitationRecord {
  id: number;
  site: string;
  role: SiteRole;
  email: string | null;
  createdAt: number;
  createdBy: string;
  expiresAt: number;
  acceptedAt: number | null;
}

const ms = (v: Date | null) => (v === null ? null : v.getTime());

type HouseRow = { site: string; name: string | null; time_zone: string; latitude: number | null; longitude: number | null };
const house = (r: HouseRow): House => ({ site: r.site, name: r.name, timeZone: r.time_zone, latitude: r.latitude, longitude: r.longitude });

type ClientRow = {
  id: string; site: string; kind: 'device' | 'hub'; name: string; room: string | null; device_kind: string | null; firmware: string; topic_id: string;
  username: string; client_id: string; password_hash: string; created_at: Date; created_by: string; rotated_at: Date | null; revoked_at: Date | null;
};
const client = (r: ClientRow): ClientRecord => ({
  id: Number(r.id), site: r.site, kind: r.kind, name: r.name, room: r.room, deviceKind: r.device_kind, firmware: r.firmware, topicId: r.topic_id,
  username: r.username, clientId: r.client_id, passwordHash: r.password_hash, createdAt: r.created_at.getTime(), createdBy: r.created_by,
  rotatedAt: ms(r.rotated_at), revokedAt: ms(r.revoked_at),
});

type InvitationRow = { id: string; site: string; role: SiteRole; email: string | null; created_at: Date; created_by: string; expires_at: Date; accepted_at: Date | null };
const invitation = (r: InvitationRow): InvitationRecord => ({
  id: Number(r.id), site: r.site, role: r.role, email: r.email, createdAt: r.created_at.getTime(), createdBy: r.created_by, expiresAt: r.expires_at.getTime(), acceptedAt: ms(r.accepted_at),
});

export class OnboardingStore {
  constructor(private readonly pool: Pool) {}

  /** A new house; undefined when the site already has settings (a house or an energy setting). */
  async createHouse(h: House, by: string): Promise<House | undefined> {
    const { rows } = await this.pool.query<HouseRow>(
      `insert into site_settings (site, time_zone, name, latitude, longitude, updated_by) values ($1, $2, $3, $4, $5, $6)
       on conflict (site) do update set name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude, time_zone = excluded.time_zone,
         updated_at = now(), updated_by = excluded.updated_by
       where site_settings.name is null
       returning site, name, time_zone, latitude, longitude`,
      [h.site, h.timeZone, h.name, h.latitude, h.longitude, by],
    );
    return rows[0] && house(rows[0]);
  }

  async houses(sites: 'all' | readonly string[]): Promise<House[]> {
    const { rows } = await this.pool.query<HouseRow>(
      `select site, name, time_zone, latitude, longitude from site_settings where name is not null and ($1::text[] is null or site = any($1)) order by site limit 10000`,
      [sites === 'all' ? null : sites],
    );
    return rows.map(house);
  }

  async house(site: string): Promise<House | undefined> {
    const { rows } = await this.pool.query<HouseRow>(`select site, name, time_zone, latitude, longitude from site_settings where site = $1 and name is not null`, [site]);
    return rows[0] && house(rows[0]);
  }

  async createInvitation(i: { tokenHash: Buffer; site: string; role: SiteRole; email: string | null; createdBy: string; expiresAt: number }): Promise<InvitationRecord> {
    const { rows } = await this.pool.query<InvitationRow>(
      `insert into onboarding_invitations (token_hash, site, role, email, created_by, expires_at) values ($1, $2, $3, $4, $5, $6)
       returning id, site, role, email, created_at, created_by, expires_at, accepted_at`,
      [i.tokenHash, i.site, i.role, i.email, i.createdBy, new Date(i.expiresAt)],
    );
    return invitation(rows[0]);
  }

  async invitations(site: string): Promise<InvitationRecord[]> {
    const { rows } = await this.pool.query<InvitationRow>(
      `select id, site, role, email, created_at, created_by, expires_at, accepted_at from onboarding_invitations where site = $1 order by id desc limit 200`,
      [site],
    );
    return rows.map(invitation);
  }

  /** Marks the invitation used, once: undefined when unknown, used or expired. */
  async takeInvitation(tokenHash: Buffer, now: number): Promise<InvitationRecord | undefined> {
    const { rows } = await this.pool.query<InvitationRow>(
      `update onboarding_invitations set accepted_at = $2 where token_hash = $1 and accepted_at is null and expires_at > $2
       returning id, site, role, email, created_at, created_by, expires_at, accepted_at`,
      [tokenHash, new Date(now)],
    );
    return rows[0] && invitation(rows[0]);
  }

  async finishInvitation(id: number, userId: number | null): Promise<void> {
    if (userId === null) await this.pool.query('update onboarding_invitations set accepted_at = null where id = $1', [id]);
    else await this.pool.query('update onboarding_invitations set accepted_by = $2 where id = $1', [id, userId]);
  }

  async insertClient(c: Omit<ClientRecord, 'id' | 'createdAt' | 'rotatedAt' | 'revokedAt'>): Promise<ClientRecord | undefined> {
    const { rows } = await this.pool.query<ClientRow>(
      `insert into onboarding_clients (site, kind, name, room, device_kind, firmware, topic_id, username, client_id, password_hash, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict do nothing returning *`,
      [c.site, c.kind, c.name, c.room, c.deviceKind, c.firmware, c.topicId, c.username, c.clientId, c.passwordHash, c.createdBy],
    );
    return rows[0] && client(rows[0]);
  }

  async clients(site: string): Promise<ClientRecord[]> {
    const { rows } = await this.pool.query<ClientRow>('select * from onboarding_clients where site = $1 order by id limit 1000', [site]);
    return rows.map(client);
  }

  async clientById(id: number): Promise<ClientRecord | undefined> {
    const { rows } = await this.pool.query<ClientRow>('select * from onboarding_clients where id = $1', [id]);
    return rows[0] && client(rows[0]);
  }

  /** Every client not revoked: the embedded broker is refilled from these at start. */
  async activeClients(): Promise<ClientRecord[]> {
    const { rows } = await this.pool.query<ClientRow>('select * from onboarding_clients where revoked_at is null order by id');
    return rows.map(client);
  }

  async rotated(id: number, passwordHash: string): Promise<void> {
    await this.pool.query('update onboarding_clients set password_hash = $2, rotated_at = now() where id = $1', [id, passwordHash]);
  }

  async revoked(id: number): Promise<void> {
    await this.pool.query('update onboarding_clients set revoked_at = now() where id = $1 and revoked_at is null', [id]);
  }
}
