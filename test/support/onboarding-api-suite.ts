import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

/** What test/api.db.mqtt.test.ts's contract-checking client offers (every answer validated against the document). */
interface Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: { json?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  as(credentials: Record<string, string>): Client;
}

export interface OnboardingSuiteContext {
  api: Client;
  suffix: string;
  /** The username `api` acts as. */
  operator: string;
}

/**
 * The onboarding routes (lib/api/onboarding-routes.ts) through the API suite's contract client:
 * every operation once, its answer checked against the OpenAPI document, over an onboarding
 * service with an in-process broker user table (as `npm start`'s embedded broker has). A house
 * of its own, so the suite's other counts are untouched.
 */
export function onboardingApiSuite(get: () => OnboardingSuiteContext): void {
  let site = '';

  before(() => {
    site = `onb_${get().suffix}`;
  });

  it('makes a house and lists it among the caller\'s houses', async () => {
    const { api } = get();
    const made = await api.call('POST', '/houses', { json: { site, name: 'Casa de prueba', timeZone: 'Europe/Madrid', latitude: 40.4, longitude: -3.7 } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body, { site, name: 'Casa de prueba', timeZone: 'Europe/Madrid', latitude: 40.4, longitude: -3.7 });
    const again = await api.call('POST', '/houses', { json: { site, name: 'Otra', timeZone: 'Europe/Madrid' } });
    assert.deepEqual([again.status, again.body], [409, { error: `house "${site}" already exists` }]);
    const houses = await api.call('GET', '/houses');
    assert.equal(houses.status, 200);
    assert.deepEqual(houses.body.items.filter((h: { site: string }) => h.site === site).map((h: { name: string }) => h.name), ['Casa de prueba']);
  });

  it('invites a resident, who accepts once and can then sign in', async () => {
    const { api, suffix, operator } = get();
    const inv = await api.call('POST', `/sites/${site}/invitations`, { json: { role: 'resident', email: 'ana@example.test' } });
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
    assert.deepEqual([inv.body.invitation.site, inv.body.invitation.role, inv.body.invitation.createdBy, inv.body.invitation.acceptedAt], [site, 'resident', operator, null]);
    assert.match(inv.body.token, /^inv_/);
    assert.equal(inv.body.acceptPath, `/ui/accept?invitation=${encodeURIComponent(inv.body.token)}`);
    const listed = await api.call('GET', `/sites/${site}/invitations`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((i: { id: number }) => i.id), [inv.body.invitation.id]);

    const username = `resident_${suffix}`;
    const password = randomBytes(18).toString('base64url');
    const open = api.as({});
    const accepted = await open.call('POST', '/invitations/accept', { json: { token: inv.body.token, username, password } });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.deepEqual([accepted.body.username, accepted.body.site, accepted.body.role], [username, site, 'resident']);
    const twice = await open.call('POST', '/invitations/accept', { json: { token: inv.body.token, username: `${username}2`, password } });
    assert.deepEqual([twice.status, twice.body], [410, { error: 'this invitation is unknown, used or expired: ask for a new one' }]);
    const used = await api.call('GET', `/sites/${site}/invitations`);
    assert.notEqual(used.body.items[0].acceptedAt, null, 'the invitation is marked accepted');

    const login = await open.call('POST', '/auth/login', { json: { username, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });

  it('issues device and hub credentials, shows, rotates and revokes them', async () => {
    const { api } = get();
    const device = await api.call('POST', `/sites/${site}/device-credentials`, { json: { name: 'Enchufe salón', room: 'salon', kind: 'plug', firmware: 'tasmota' } });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    assert.deepEqual([device.body.credential.site, device.body.credential.kind, device.body.credential.room, device.body.credential.revokedAt, device.body.hubBundle], [site, 'device', 'salon', null, null]);
    assert.ok(device.body.password.length >= 16, 'a password is shown once');
    assert.ok(device.body.snippets.some((s: { firmware: string }) => s.firmware === 'tasmota'), JSON.stringify(device.body.snippets));
    const id = device.body.credential.id as number;

    const hub = await api.call('POST', `/sites/${site}/hubs`, { json: { name: 'Hub garaje' } });
    assert.equal(hub.status, 201, JSON.stringify(hub.body));
    assert.equal(hub.body.credential.kind, 'hub');
    assert.equal(hub.body.hubBundle.username, hub.body.credential.username);
    assert.equal(hub.body.hubBundle.password, hub.body.password);

    const list = await api.call('GET', `/sites/${site}/device-credentials`);
    assert.equal(list.status, 200);
    assert.equal(list.body.broker, 'embedded');
    assert.deepEqual(list.body.items.map((c: { id: number }) => c.id).sort((a: number, b: number) => a - b), [id, hub.body.credential.id].sort((a, b) => a - b));

    const status = await api.call('GET', `/device-credentials/${id}`);
    assert.equal(status.status, 200);
    assert.deepEqual([status.body.credential.id, status.body.firstReading.state, status.body.firstReading.reading], [id, 'waiting', null]);

    const rotated = await api.call('POST', `/device-credentials/${id}/rotate`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.password, device.body.password);
    assert.notEqual(rotated.body.credential.rotatedAt, null);

    assert.equal((await api.call('DELETE', `/device-credentials/${id}`)).status, 204);
    const revoked = await api.call('GET', `/device-credentials/${id}`);
    assert.deepEqual([revoked.status, revoked.body.firstReading.state], [200, 'revoked']);
    assert.notEqual(revoked.body.credential.revokedAt, null);
    const unknown = await api.call('GET', '/device-credentials/999999999');
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'unknown credential 999999999' }]);
  });
}
