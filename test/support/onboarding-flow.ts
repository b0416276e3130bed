import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { parseTasmotaConsole, SimulatedTasmota } from '../../lib/simulation/tasmota-device';
import type { RunningApp } from './app';
import { login, type Session } from './auth';
import { waitFor } from './env';

export interface OnboardedHouse {
  site: string;
  owner: Session;
}

/** An operator makes the house and invites its owner; the owner accepts with a password of their own and signs in. */
export async function onboardHouse(app: RunningApp, site: string): Promise<OnboardedHouse> {
  const operator = await app.login();
  const made = await operator.json('POST', '/api/v1/houses', { site, name: `House ${site}`, timeZone: 'Europe/Madrid', latitude: 40.4, longitude: -3.7 });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const invited = await operator.json('POST', `/api/v1/sites/${site}/invitations`, { role: 'owner', email: `owner@${site}.example` });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const password = `pw-${site}-Correct-Horse-9`;
  const accept = (token: string) =>
    fetch(`${app.baseUrl}/api/v1/invitations/accept`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, username: `owner-${site}`, password }) });
  const accepted = await accept(invited.body.token);
  assert.equal(accepted.status, 201, await accepted.clone().text());
  assert.equal((await accept(invited.body.token)).status, 410, 'an invitation is used once');
  return { site, owner: await login(app.baseUrl, `owner-${site}`, password) };
}

/**
 * The owner adds a Tasmota plug; a simulated Tasmota set up with exactly the console commands it
 * was given connects and reports, and the device's page says what arrived first. Then what it may
 * not do, and revocation. Returns the time the revoked device took to be disconnected.
 */
export async function tasmotaPlugFlow(app: RunningApp, house: OnboardedHouse, otherSite: string, mqttPort: number): Promise<{ revokedInMs: number }> {
  const added = await house.owner.json('POST', `/api/v1/sites/${house.site}/device-credentials`, { name: 'Kitchen plug', room: 'kitchen', kind: 'plug', firmware: 'tasmota' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const snippets = added.body.snippets as Array<{ firmware: string; text: string }>;
  assert.deepEqual(snippets.map((s) => s.firmware), ['tasmota', 'mosquitto_pub', 'esphome', 'shelly', 'zigbee2mqtt']);
  const settings = parseTasmotaConsole(snippets[0].text);
  assert.equal(settings.port, mqttPort, 'the broker address as devices see it');
  const id = added.body.credential.id as number;
  const status = async () => (await house.owner.json('GET', `/api/v1/device-credentials/${id}`)).body;
  assert.equal((await status()).firstReading.state, 'waiting');
  assert.doesNotMatch(JSON.stringify(await status()), new RegExp(settings.password), 'the password is shown once only');

  const plug = await SimulatedTasmota.connect(settings);
  // A message the parser refuses: the page says so, with the parser's reason.
  await plug.client.publishAsync(plug.topic('tele', 'SENSOR'), '{"ENERGY":', { qos: 1 });
  await waitFor(async () => (await status()).firstReading.state === 'problem', 15000, 'the parser\'s reject on the device page');
  assert.match((await status()).firstReading.message, /the parser refused it/, (await status()).firstReading.message);
  await plug.report(21.5);
  await waitFor(async () => (await status()).firstReading.state === 'reading', 15000, 'the first reading on the device page');
  const first = (await status()).firstReading;
  assert.match(first.message, /^First reading: (ENERGY\.\w+ [\d.]+ \S+|POWER true) at \d\d:\d\d\.$/, first.message);

  // Another client id, even with the right password: refused.
  await assert.rejects(connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: settings.user, password: settings.password, clientId: `${settings.client}-2`, reconnectPeriod: 0 }));
  // Another house's tree: the ingest never gets it (Mosquitto drops it; the embedded broker closes the connection).
  const intruder = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: settings.user, password: settings.password, clientId: settings.client, reconnectPeriod: 0 });
  await intruder.publishAsync(`${otherSite}/kitchen/fake/temperature`, '99', { qos: 0 }).catch(() => undefined);
  await intruder.endAsync(true);
  const operator = await app.login();
  await new Promise((r) => setTimeout(r, 300));
  const other = await operator.json('GET', `/api/v1/devices?site=${encodeURIComponent(otherSite)}`);
  assert.equal(other.body.total ?? 0, 0, 'nothing arrived in the other house');

  // A new password: only the password changes, the old one is refused from now on, the new one works.
  const rotated = await house.owner.json('POST', `/api/v1/device-credentials/${id}/rotate`);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const fresh = parseTasmotaConsole(rotated.body.snippets[0].text);
  assert.notEqual(fresh.password, settings.password);
  assert.deepEqual({ ...fresh, password: '' }, { ...settings, password: '' });
  await assert.rejects(SimulatedTasmota.connect(settings), 'the old password is refused');

  // Revoked: disconnected at once, refused after.
  const again = await SimulatedTasmota.connect(fresh);
  const closed = new Promise<number>((resolve) => again.client.once('close', () => resolve(Date.now())));
  const start = Date.now();
  assert.equal((await house.owner.json('DELETE', `/api/v1/device-credentials/${id}`)).status, 204);
  const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 2000))]);
  await again.close();
  await plug.close();
  assert.ok(at - start <= 1000, `disconnected within a second (${at - start} ms)`);
  await assert.rejects(SimulatedTasmota.connect(fresh), 'refused on reconnect');
  assert.equal((await status()).firstReading.state, 'revoked');
  return { revokedInMs: at - start };
}

export type { Session };
