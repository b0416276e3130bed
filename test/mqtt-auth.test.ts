import assert from 'node:assert/strict';
import { commandMessage } from '../lib/commands/command-rules';
import { aclRules, canPublish, canRead, canSubscribe } from '../lib/mqtt-auth/acl';
import { renderAclFile } from '../lib/mqtt-auth/acl-file';
import { brokerCredentials, redactUrl } from '../lib/mqtt-auth/broker-credentials';
import { createBrokerAuth } from '../lib/mqtt-auth/broker-auth';
import { hashPassword, randomPassword, verifyPassword } from '../lib/mqtt-auth/password-hash';
import { parsePasswordFile, renderPasswordFile } from '../lib/mqtt-auth/password-file';
import { filtersOverlap, topicMatches, unshared } from '../lib/mqtt-auth/topic-match';
import { planUsers } from '../lib/mqtt-auth/user-plan';
import { ingestClientId, ingestShareGroup } from '../lib/mqtt-auth/client-id';
import { allUsers, clientIdOwner, clientIdProblem, houseUsers, RESERVED_SITES, siteProblem } from '../lib/mqtt-auth/users';
import { hubLocalPasswordFile, renderHubConfig } from '../lib/hub/hub-config';
import type { DeviceRecord } from '../lib/registry/device-registry';
import type { ProfileName } from '../lib/model/reading';

function device(site: string, profile?: ProfileName): DeviceRecord {
  return {
    deviceId: profile ? `${profile}:lamp` : `${site}/salon/lamp`,
    site,
    room: 'salon',
    device: 'lamp',
    profile,
    state: 'online',
    stateSince: 0,
    stateReason: '',
    firstSeen: 0,
    lastSeen: 0,
    attributes: new Map(),
    meta: {},
  };
}

describe('mqtt-auth: Mosquitto password hashes', () => {
  it('writes $7$ PBKDF2-SHA512 hashes with a fresh salt each time, which verify', () => {
    const a = hashPassword('secret');
    const b = hashPassword('secret');
    assert.match(a, /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    assert.notEqual(a, b);
    assert.equal(verifyPassword(a, 'secret'), true);
    assert.equal(verifyPassword(a, 'Secret'), false);
    assert.equal(verifyPassword('$6$notmosquitto', 'secret'), false);
  });

  it('makes URL-safe random passwords', () => {
    const p = randomPassword();
    assert.match(p, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(p, randomPassword());
  });

  it('parses and renders the password file, refusing unreadable lines instead of dropping users', () => {
    const text = 'a:$7$1$x$y\n# comment\n\nb:$7$1$z$w\n';
    const entries = parsePasswordFile(text);
    assert.deepEqual([...entries.keys()], ['a', 'b']);
    assert.equal(renderPasswordFile(entries), 'a:$7$1$x$y\nb:$7$1$z$w\n');
    assert.throws(() => parsePasswordFile('nocolon\n'), /line 1 is not username:hash/);
    assert.throws(() => parsePasswordFile('a:x\na:y\n'), /appears twice/);
  });
});

describe('mqtt-auth: topic filters', () => {
  it('matches topics like a broker', () => {
    const cases: [string, string, boolean][] = [
      ['casa1/#', 'casa1', true],
      ['casa1/#', 'casa1/a/b', true],
      ['casa1/#', 'casa10/a', false],
      ['casa1/+/+/+', 'casa1/a/b/c', true],
      ['casa1/+/+/+', 'casa1/a/b/c/set', false],
      ['casa1/+/+/+', 'casa1/a/b', false],
      ['#', '$SYS/broker/uptime', false],
      ['+/x', '$SYS/x', false],
      ['$SYS/#', '$SYS/x', true],
    ];
    for (const [f, t, want] of cases) assert.equal(topicMatches(f, t), want, `${f} ~ ${t}`);
  });

  it('tells whether two filters can match a common topic', () => {
    const cases: [string, string, boolean][] = [
      ['casa1/#', '#', true],
      ['casa1/#', '+/salon/#', true],
      ['casa1/#', 'casa2/#', false],
      ['casa1/#', 'casa1', true],
      ['casa1/+', 'casa1/a/b', false],
      ['a/+/c', 'a/b/+', true],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(filtersOverlap(a, b), want, `${a} ∩ ${b}`);
      assert.equal(filtersOverlap(b, a), want, `${b} ∩ ${a}`);
    }
    assert.equal(unshared('$share/octopus/casa1/#'), 'casa1/#');
    assert.equal(unshared('casa1/#'), 'casa1/#');
  });
});

describe('mqtt-auth: users and rules', () => {
  const [devices, hub] = houseUsers('casa1');
  const house = aclRules(devices);
  const ingest = aclRules(allUsers([], 'octopus')[0]);

  it('gives every house a devices user and a hub user with the same rules', () => {
    assert.deepEqual([devices.username, hub.username], ['casa1-devices', 'casa1-hub']);
    assert.deepEqual(aclRules(hub), house);
  });

  it('lets a house write its readings and read its own topics, commands included', () => {
    for (const t of ['casa1/salon/t1/temperature', 'casa1/salon/t1', 'casa1/status']) assert.equal(canPublish(house, t), true, t);
    assert.equal(canRead(house, 'casa1/salon/t1/temperature'), true);
    assert.equal(canRead(house, 'casa1/salon/lamp/on/set'), true);
  });

  it('keeps a house out of other houses and away from every command shape the app publishes', () => {
    for (const t of ['casa2/salon/t1/temperature', 'casa10/x/y/z', 'cmnd/lamp/POWER', 'octopus/alerts/x']) {
      assert.equal(canPublish(house, t), false, t);
      assert.equal(canRead(house, t), false, t);
    }
    for (const profile of [undefined, 'tasmota', 'z2m', 'shelly', 'esphome', 'homie'] as (ProfileName | undefined)[]) {
      const { topic } = commandMessage(device('casa1', profile), 'on', true);
      assert.equal(canPublish(house, topic), false, `house publishing ${topic}`);
      // Firmware commands below the site, should they ever be sent there, are refused too.
      assert.equal(canPublish(house, `casa1/${topic}`), false, `house publishing casa1/${topic}`);
      assert.equal(canPublish(ingest, topic), true, `ingest publishing ${topic}`);
    }
  });

  it('allows a subscription that can see some of its topics, and delivers only those', () => {
    assert.equal(canSubscribe(house, '#'), true);
    assert.equal(canSubscribe(house, '$share/g/casa1/#'), false, 'houses make no shared subscriptions');
    assert.equal(canSubscribe(house, 'casa2/#'), false);
    assert.equal(canSubscribe(house, '+/salon/#'), true);
    assert.equal(canRead(house, 'casa2/salon/t1/temperature'), false);
    assert.equal(canSubscribe(ingest, '#'), true);
  });

  it('refuses site names that cannot be users or ACL words, and clashing names', () => {
    assert.equal(siteProblem('casa-1'), undefined);
    for (const bad of ['', 'a b', 'a/b', '+', '#', '-x', 'a:b']) assert.ok(siteProblem(bad), bad);
    assert.throws(() => allUsers(['x y']), /cannot have MQTT users/);
    assert.throws(() => allUsers(['casa1'], 'casa1-hub'), /two users/);
  });

  it('renders the ACL file: deny lines, then grants, one block per user, nothing for anonymous', () => {
    const text = renderAclFile(allUsers(['casa1'], 'octopus'));
    const blocks = text.split(/\n(?=# )/);
    assert.match(text, /^user octopus\ntopic readwrite #$/m);
    assert.match(text, /^user casa1-devices\ntopic deny casa1\/cmnd\/#\n/m);
    assert.match(text, /^topic read casa1\/#\ntopic write casa1\/\+\ntopic write casa1\/\+\/\+\ntopic write casa1\/\+\/\+\/\+$/m);
    assert.equal(text.split('\n').filter((l) => l.startsWith('topic ')).length, 1 + 2 * (1 + 3 + 5));
    assert.ok(blocks.length >= 3);
    assert.throws(() => renderAclFile([{ username: 'sim', role: 'fleet' }]), /embedded broker/);
  });
});

describe('mqtt-auth: planning the files', () => {
  let counter = 0;
  const makePassword = () => `pw${++counter}`;
  const hash = (pw: string) => `H(${pw})`;

  it('creates users for new houses with new passwords, listed once', () => {
    const plan = planUsers({ existingPasswordFile: '', houses: ['casa2', 'casa1'], ingestUser: 'octopus', makePassword, hash });
    assert.deepEqual(plan.users.map((u) => u.username), ['octopus', 'casa1-devices', 'casa1-hub', 'casa2-devices', 'casa2-hub']);
    assert.equal(plan.newCredentials.length, 5);
    const entries = parsePasswordFile(plan.passwordFile);
    for (const c of plan.newCredentials) assert.equal(entries.get(c.username), `H(${c.password})`);
  });

  it('keeps existing users and their hashes, and houses known only from the old file unless pruned', () => {
    const old = 'octopus:$7$old-ingest\ncasa1-devices:$7$d1\ncasa1-hub:$7$h1\ngone-hub:$7$g\n';
    const plan = planUsers({ existingPasswordFile: old, houses: ['casa1', 'casa3'], ingestUser: 'octopus', makePassword, hash });
    const entries = parsePasswordFile(plan.passwordFile);
    assert.equal(entries.get('casa1-devices'), '$7$d1');
    assert.equal(entries.get('octopus'), '$7$old-ingest');
    assert.ok(entries.has('gone-devices'), 'the old house keeps (and completes) its users');
    assert.deepEqual(plan.newCredentials.map((c) => c.username).sort(), ['casa3-devices', 'casa3-hub', 'gone-devices']);
    const pruned = planUsers({ existingPasswordFile: old, houses: ['casa1'], ingestUser: 'octopus', prune: true, makePassword, hash });
    assert.deepEqual(pruned.removed, ['gone-hub']);
    assert.equal(parsePasswordFile(pruned.passwordFile).has('gone-hub'), false);
  });

  it('sets the ingest password from the deployment, keeping the hash when it already matches', () => {
    const first = planUsers({ existingPasswordFile: '', houses: [], ingestUser: 'octopus', ingestPassword: 'from-env' });
    assert.equal(first.newCredentials.length, 0);
    const h = parsePasswordFile(first.passwordFile).get('octopus') as string;
    assert.equal(verifyPassword(h, 'from-env'), true);
    const again = planUsers({ existingPasswordFile: first.passwordFile, houses: [], ingestUser: 'octopus', ingestPassword: 'from-env' });
    assert.equal(parsePasswordFile(again.passwordFile).get('octopus'), h);
    const changed = planUsers({ existingPasswordFile: first.passwordFile, houses: [], ingestUser: 'octopus', ingestPassword: 'rotated' });
    assert.equal(verifyPassword(parsePasswordFile(changed.passwordFile).get('octopus') as string, 'rotated'), true);
  });

  it('answers the broker questions from the same files', () => {
    const plan = planUsers({ existingPasswordFile: '', houses: ['casa1'], ingestUser: 'octopus' });
    const auth = createBrokerAuth(plan.users, plan.passwordFile);
    const pw = (u: string) => plan.newCredentials.find((c) => c.username === u)?.password;
    assert.equal(auth.authenticate('casa1-hub', 'wrong'), undefined);
    assert.equal(auth.authenticate(undefined, undefined), undefined);
    assert.equal(auth.authenticate('nobody', 'x'), undefined);
    const rules = auth.authenticate('casa1-hub', pw('casa1-hub'));
    assert.ok(rules);
    assert.equal(auth.canPublish(rules, 'casa1/a/b/c'), true);
    assert.equal(auth.canPublish(rules, 'casa1/a/b/c/set'), false);
  });
});

describe('mqtt-auth: broker credentials from the environment', () => {
  it('takes user and password out of MQTT_URL, decoded, and leaves a URL that is safe to log', () => {
    assert.deepEqual(brokerCredentials('mqtt://octo%40pus:p%3Ass@broker:1883', {}), { url: 'mqtt://broker:1883', username: 'octo@pus', password: 'p:ss' });
    assert.deepEqual(brokerCredentials('mqtts://broker:8883', {}), { url: 'mqtts://broker:8883', username: undefined, password: undefined });
  });

  it('lets MQTT_USERNAME / MQTT_PASSWORD win over the URL', () => {
    assert.deepEqual(brokerCredentials('mqtt://a:b@broker:1883', { MQTT_USERNAME: 'octopus', MQTT_PASSWORD: 'x' }), { url: 'mqtt://broker:1883', username: 'octopus', password: 'x' });
    assert.equal(redactUrl('mqtt://a:secret@broker:1883'), 'mqtt://a:***@broker:1883');
    assert.equal(redactUrl('mqtt://broker:1883'), 'mqtt://broker:1883');
  });
});

describe('mqtt-auth: hostile clients (issue #15)', () => {
  const users = allUsers(['casa1', 'casa', 'casa-1'], 'octopus');
  const user = (name: string) => users.find((u) => u.username === name) as (typeof users)[number];

  it("ties client ids to users: a house uses only its users' names as prefix, never the ingest's or another house's", () => {
    assert.equal(clientIdProblem(user('casa1-devices'), 'casa1-devices', users), undefined);
    assert.equal(clientIdProblem(user('casa1-devices'), 'casa1-devices-lamp', users), undefined);
    assert.equal(clientIdProblem(user('casa1-hub'), 'casa1-hub', users), undefined, "the hub bridge's remote_clientid");
    for (const id of ['octopus-compose-in', 'octopus-1a2b3c4d-f00d', 'octopus', 'casa1-hub', 'casa1-devicesX', 'DVES_1234', 'simulator', '']) {
      assert.match(clientIdProblem(user('casa1-devices'), id, users) ?? '', /is not casa1-devices's/, id);
    }
    // casa's users cannot take casa-1's ids: the longest user name that prefixes an id owns it.
    assert.equal(clientIdOwner('casa-1-devices-x', users)?.username, 'casa-1-devices');
    assert.ok(clientIdProblem(user('casa-devices'), 'casa-1-devices-x', users));
    // Node-RED may use any id that is no house user's.
    assert.equal(clientIdProblem(user('octopus'), 'octopus-compose-in', users), undefined);
    assert.equal(clientIdProblem(user('octopus'), 'anything', users), undefined);
    assert.match(clientIdProblem(user('octopus'), 'casa1-hub', users) ?? '', /belongs to house user casa1-hub/);
  });

  it('answers the client id question in the broker auth too', () => {
    const plan = planUsers({ existingPasswordFile: '', houses: ['casa1'], ingestUser: 'octopus', makePassword: () => 'pw', hash: (pw) => hashPassword(pw) });
    const auth = createBrokerAuth(plan.users, plan.passwordFile);
    assert.ok(auth.clientIdProblem('casa1-devices', 'octopus-compose'));
    assert.equal(auth.clientIdProblem('casa1-devices', 'casa1-devices-t1'), undefined);
    assert.equal(auth.clientIdProblem('octopus', 'octopus-compose'), undefined);
  });

  it("refuses houses a shared subscription (the ingest's $share group), and lets Node-RED make them", () => {
    const house = aclRules(user('casa1-devices'));
    for (const f of ['$share/octopus/#', '$share/octopus-ingest/+/+/+/+', '$share/g/casa1/#']) assert.equal(canSubscribe(house, f), false, f);
    assert.equal(canSubscribe(aclRules(user('octopus')), '$share/octopus-ingest/+/+/+/+'), true);
  });

  it('refuses site names that are top-level topics of the app or of a firmware, with a sentence', () => {
    for (const name of ['octopus', 'homeassistant', 'tele', 'stat', 'cmnd', 'zigbee2mqtt', 'shellies', 'homie', 'owntracks', 'Tele', 'ZIGBEE2MQTT']) {
      assert.match(siteProblem(name) ?? '', /is a top-level topic of Octopus or of a device firmware .* choose another site name/, name);
    }
    assert.ok(siteProblem('$SYS'));
    assert.ok(RESERVED_SITES.includes('tasmota'));
    assert.equal(siteProblem('casa-tele'), undefined);
    assert.throws(() => planUsers({ existingPasswordFile: '', houses: ['tele'], ingestUser: 'octopus' }), /top-level topic/);
    // A reserved house already in an old password file is not carried on.
    const plan = planUsers({ existingPasswordFile: 'tele-devices:$7$x\ntele-hub:$7$y\n', houses: [], ingestUser: 'octopus', makePassword: () => 'pw', hash: (pw) => `H(${pw})` });
    assert.deepEqual(plan.users.map((u) => u.username), ['octopus']);
    assert.throws(() => renderHubConfig({ site: 'zigbee2mqtt', central: 'b.example.com:8883', password: 'pw', localBind: '127.0.0.1' }), /top-level topic/);
  });

  it("gives Node-RED's client ids a tag only its password makes: stable, unguessable, unchanged without a password", () => {
    const a = ingestClientId('octopus-compose-in', 'secret-1');
    assert.match(a, /^octopus-compose-in-[0-9a-f]{16}$/);
    assert.equal(ingestClientId('octopus-compose-in', 'secret-1'), a);
    assert.notEqual(ingestClientId('octopus-compose-in', 'secret-2'), a);
    assert.notEqual(ingestClientId('octopus-compose-alerts', 'secret-1').slice(-16), a.slice(-16));
    assert.equal(ingestClientId('octopus-compose-in', undefined), 'octopus-compose-in');
    assert.equal(ingestClientId('octopus-compose-in', ''), 'octopus-compose-in');
  });

  it("gives the ingest's $share group a tag only its password makes, so a house cannot join it on Mosquitto", () => {
    const g = ingestShareGroup('octopus-ingest', 'secret-1');
    assert.match(g, /^octopus-ingest-[0-9a-f]{16}$/);
    assert.equal(ingestShareGroup('octopus-ingest', 'secret-1'), g, 'every instance with the password joins the same group');
    assert.notEqual(ingestShareGroup('octopus-ingest', 'secret-2'), g);
    assert.notEqual(g.slice(-16), ingestClientId('octopus-ingest', 'secret-1').slice(-16), 'not the client id tag');
    assert.equal(ingestShareGroup('octopus-ingest', undefined), 'octopus-ingest');
  });

  it("makes the hub's LAN listener require logins: refused anonymous unless asked, a password file with the house's devices user", () => {
    const base = { site: 'casa1', central: 'broker.example.com:8883', password: 'pw-123' };
    assert.throws(() => renderHubConfig(base), /anyone on the house's network .* --local-anonymous/);
    assert.throws(() => renderHubConfig({ ...base, localBind: '192.168.1.10' }), /without a password/);
    assert.ok(renderHubConfig({ ...base, localBind: '127.0.0.1' }).split('\n').includes('allow_anonymous true'), 'the hub itself only');
    assert.ok(renderHubConfig({ ...base, localAnonymous: true }).split('\n').includes('allow_anonymous true'), 'when asked for');
    const first = hubLocalPasswordFile('casa1', '', () => 'local-pw');
    assert.deepEqual(first.newCredentials, [{ username: 'casa1-devices', password: 'local-pw' }]);
    assert.equal(verifyPassword(parsePasswordFile(first.passwordFile).get('casa1-devices') as string, 'local-pw'), true);
    const again = hubLocalPasswordFile('casa1', `${first.passwordFile}lamp:$7$kept\n`, () => 'other');
    assert.deepEqual(again.newCredentials, [], 'a running device keeps its password');
    assert.equal(again.passwordFile, `${first.passwordFile}lamp:$7$kept\n`);
  });
});
