import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { Client } from 'pg';
import { hashToken, newCsrfToken, newSessionToken } from '../../lib/auth/tokens';
import type { RunningApp } from './app';
import { login, type Session } from './auth';
import { waitFor } from './env';
import { nodeOfType, type FlowNode } from './flows';

/**
 * Two houses in a running app, for tests that attack one from the other: house A and house B with
 * a thermostat (hot enough for an alert) and a switchable light each, house A's devices under
 * distinctive names; an owner, a resident and a viewer per house; API tokens of each scope; an
 * expired session, an expired and a revoked token; and expendable users, tokens and devices that
 * writes may aim at without spoiling the callers. What house B must never see is `secretsOfA`.
 */

/** The alert rule the houses' thermostats trip (35 °C): put in the flow before the app starts. */
export function withHotAlertRule(nodes: FlowNode[]): void {
  nodeOfType(nodes, 'octopus-alert').rules = JSON.stringify([{ id: 'hot', attribute: 'temperature', condition: 'above', threshold: 30, severity: 'warning' }]);
}

export type Side = 'A' | 'B' | 'operator' | 'nobody';

export interface Identity {
  name: string;
  side: Side;
  /** The credentials' headers for a request with this method (the CSRF token on a session's writes). */
  headers(method: string): Record<string, string>;
  /** A session identity's user id: its logout gets a session of its own (`spareSession`). */
  userId?: number;
}

export interface Houses {
  A: string;
  B: string;
  password: string;
  operator: Session;
  identities: Identity[];
  ids: {
    devicesA: string[];
    devicesB: string[];
    /** Devices of house A that writes may change or forget. */
    spareDevicesA: string[];
    alertA: string;
    alertB: string;
    usersA: number[];
    usersB: number[];
    /** Users nobody signs in as: any write may aim at them. */
    victims: number[];
    tokensA: number[];
    tokensB: number[];
    spareTokens: number[];
  };
  secretsOfA: string[];
  /** A new session of `userId`, made in the database (no login, so no rate limit). */
  spareSession(userId: number): Promise<{ cookie: string; csrfToken: string }>;
  close(): Promise<void>;
}

const enc = encodeURIComponent;

export async function seedHouses(app: RunningApp, databaseUrl: string, mqttUrl: string): Promise<Houses> {
  const suffix = randomBytes(3).toString('hex');
  const A = `house-a-${suffix}`;
  const B = `house-b-${suffix}`;
  const password = randomBytes(18).toString('base64url');
  const operator = await app.login();
  const mqtt = await connectAsync(mqttUrl, { clientId: `houses-${randomUUID()}` });
  const devices = (site: string, spares: number) => [`${site}/salon/termo`, `${site}/salon/luz`, ...Array.from({ length: spares }, (_, i) => `${site}/attic/spare-${i + 1}`)];
  const devicesA = devices(A, 4);
  const devicesB = devices(B, 2);
  try {
    await waitFor(() => /connected to mqtt/.test(app.output()), 15000, 'the source to connect');
    for (const id of [...devicesA, ...devicesB]) {
      if (id.endsWith('/luz')) await mqtt.publishAsync(`${id}/on`, 'false', { qos: 1 });
      else await mqtt.publishAsync(`${id}/temperature`, JSON.stringify({ value: 35, unit: '°C' }), { qos: 1 });
    }
  } finally {
    await mqtt.endAsync();
  }
  const count = async (site: string) => (await operator.json('GET', `/api/v1/devices?site=${site}`)).body.total;
  await waitFor(async () => (await count(A)) === devicesA.length && (await count(B)) === devicesB.length, 20000, 'both houses in the registry');
  for (const site of [A, B]) {
    assert.equal((await operator.json('PATCH', `/api/v1/devices/${enc(`${site}/salon/luz`)}`, { controls: { on: { kind: 'switch' } } })).status, 200);
  }
  const namesA = [`Zanzibar thermostat ${suffix}`, `Quokka lamp ${suffix}`];
  for (const [i, name] of namesA.entries()) assert.equal((await operator.json('PATCH', `/api/v1/devices/${enc(devicesA[i])}`, { name, room: `Ochre room ${suffix}` })).status, 200);
  const alertOf = async (site: string) => {
    await waitFor(async () => (await operator.json('GET', `/api/v1/alerts?site=${site}`)).body.count >= 1, 15000, `the alert in ${site}`);
    return (await operator.json('GET', `/api/v1/alerts?site=${site}`)).body.alerts[0].id as string;
  };
  const alertA = await alertOf(A);
  const alertB = await alertOf(B);

  const make = async (username: string, sites: Record<string, string>) => {
    const made = await operator.json('POST', '/api/v1/users', { username, password, sites });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body.id as number;
  };
  const people = { ownerA: `owner-a-${suffix}`, residentA: `resident-a-${suffix}`, viewerA: `viewer-a-${suffix}`, ownerB: `owner-b-${suffix}`, residentB: `resident-b-${suffix}` };
  const userIds: Record<string, number> = {};
  const sessions: Record<string, Session> = {};
  for (const [k, username] of Object.entries(people)) {
    const site = k.endsWith('A') ? A : B;
    userIds[k] = await make(username, { [site]: k.replace(/[AB]$/, '') });
    sessions[k] = await login(app.baseUrl, username, password);
  }
  const victims = [
    await make(`victim-a1-${suffix}`, { [A]: 'viewer' }),
    await make(`victim-a2-${suffix}`, { [A]: 'resident' }),
    await make(`victim-b1-${suffix}`, { [B]: 'viewer' }),
    await make(`victim-b2-${suffix}`, { [B]: 'owner' }),
    await make(`victim-ab-${suffix}`, { [A]: 'viewer', [B]: 'viewer' }),
  ];

  const token = async (by: Session, name: string, role: string, sites: string[]) => {
    const made = await by.json('POST', '/api/v1/tokens', { name, role, sites });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return { id: made.body.details.id as number, secret: made.body.token as string };
  };
  const t = {
    ownerA: await token(sessions.ownerA, `alpha owner script ${suffix}`, 'owner', [A]),
    residentA: await token(sessions.ownerA, `alpha resident script ${suffix}`, 'resident', [A]),
    viewerA: await token(sessions.ownerA, `alpha viewer script ${suffix}`, 'viewer', [A]),
    ownerB: await token(sessions.ownerB, 'owner script', 'owner', [B]),
    viewerB: await token(sessions.ownerB, 'viewer script', 'viewer', [B]),
    operator: await token(operator, 'operator script', 'operator', []),
    expired: await token(sessions.ownerA, 'expired script', 'owner', [A]),
    revoked: await token(sessions.ownerA, 'revoked script', 'owner', [A]),
  };
  assert.equal((await sessions.ownerA.json('DELETE', `/api/v1/tokens/${t.revoked.id}`)).status, 204);
  const spareTokens: number[] = [];
  for (const by of [sessions.ownerA, sessions.ownerB, operator]) {
    for (const role of ['viewer', 'owner']) spareTokens.push((await token(by, 'spare', by === operator ? 'operator' : role, by === operator ? [] : [by === sessions.ownerA ? A : B])).id);
  }

  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const expiredSession = await login(app.baseUrl, people.ownerA, password);
  const hit = await pg.query("update auth_sessions set expires_at = now() - interval '1 second' where token_hash = $1", [hashToken(decodeURIComponent(expiredSession.cookie.split('=')[1]))]);
  assert.equal(hit.rowCount, 1, 'the expired session exists');
  assert.equal((await pg.query("update auth_tokens set expires_at = now() - interval '1 second' where id = $1", [t.expired.id])).rowCount, 1);

  const bySession = (name: string, side: Side, s: Session, userId?: number): Identity => ({
    name,
    side,
    userId,
    headers: (method) => ({ Cookie: s.cookie, ...(['GET', 'HEAD', 'OPTIONS'].includes(method) ? {} : { 'X-CSRF-Token': s.csrfToken }) }),
  });
  const byToken = (name: string, side: Side, secret: string): Identity => ({ name, side, headers: () => ({ Authorization: `Bearer ${secret}` }) });
  const identities: Identity[] = [
    { name: 'anonymous', side: 'nobody', headers: () => ({}) },
    bySession('an expired session', 'nobody', expiredSession),
    byToken('an expired token', 'nobody', t.expired.secret),
    byToken('a revoked token', 'nobody', t.revoked.secret),
    bySession('viewer A', 'A', sessions.viewerA, userIds.viewerA),
    bySession('resident A', 'A', sessions.residentA, userIds.residentA),
    bySession('owner A', 'A', sessions.ownerA, userIds.ownerA),
    byToken('owner token A', 'A', t.ownerA.secret),
    byToken('resident token A', 'A', t.residentA.secret),
    byToken('viewer token A', 'A', t.viewerA.secret),
    bySession('owner B', 'B', sessions.ownerB, userIds.ownerB),
    bySession('resident B', 'B', sessions.residentB, userIds.residentB),
    byToken('owner token B', 'B', t.ownerB.secret),
    byToken('viewer token B', 'B', t.viewerB.secret),
    bySession('the operator', 'operator', operator, (await operator.json('GET', '/api/v1/auth/me')).body.user.id),
    byToken('an operator token', 'operator', t.operator.secret),
  ];

  return {
    A,
    B,
    password,
    operator,
    identities,
    ids: {
      devicesA,
      devicesB,
      spareDevicesA: devicesA.slice(2),
      alertA,
      alertB,
      usersA: [userIds.ownerA, userIds.residentA, userIds.viewerA],
      usersB: [userIds.ownerB, userIds.residentB],
      victims,
      tokensA: [t.ownerA.id, t.residentA.id, t.viewerA.id, t.expired.id, t.revoked.id],
      tokensB: [t.ownerB.id, t.viewerB.id],
      spareTokens,
    },
    secretsOfA: [A, ...devicesA, ...namesA, `Ochre room ${suffix}`, alertA, people.ownerA, people.residentA, people.viewerA, `victim-a1-${suffix}`, `victim-a2-${suffix}`, `alpha owner script ${suffix}`],
    spareSession: async (userId) => {
      const token = newSessionToken();
      const csrfToken = newCsrfToken();
      await pg.query("insert into auth_sessions (token_hash, user_id, csrf_token, expires_at) values ($1, $2, $3, now() + interval '1 hour')", [hashToken(token), userId, csrfToken]);
      return { cookie: `octopus_session=${token}`, csrfToken };
    },
    close: () => pg.end(),
  };
}
