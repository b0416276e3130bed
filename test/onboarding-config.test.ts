import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { canCreateHouse, canProvision, invitationProblem, type Grants } from '../lib/auth/permissions';
import { canPublish, canRead, aclRules } from '../lib/mqtt-auth/acl';
import { createDeviceClient, createHouseRole, dynsecAcls } from '../lib/mqtt-auth/dynsec-commands';
import { brokerAddressFromEnv, firmwareSnippets } from '../lib/onboarding/firmware-config';
import { parseTasmotaConsole } from '../lib/simulation/tasmota-device';
import { tasmotaTopic } from '../lib/simulation/dialects';

describe('onboarding: firmware settings and the dynamic security model', () => {
  const creds = { site: 'casa1', room: 'kitchen', topicId: 'plug-1a2b', username: 'plug-1a2b@casa1', password: randomBytes(12).toString('base64url'), clientId: 'casa1-plug-1a2b' };
  const broker = { host: '192.168.1.10', port: 1883 };

  it('gives a Tasmota console line whose every value a Tasmota takes back, with topics its house may write', () => {
    const [tasmota, test] = firmwareSnippets('tasmota', broker, creds);
    assert.equal(tasmota.firmware, 'tasmota');
    assert.equal(test.firmware, 'mosquitto_pub');
    const s = parseTasmotaConsole(tasmota.text);
    assert.deepEqual(s, { host: '192.168.1.10', port: 1883, user: creds.username, password: creds.password, client: creds.clientId, topic: creds.topicId, fullTopic: 'casa1/%topic%/%prefix%/' });
    const rules = aclRules({ username: 'x', role: 'devices', site: 'casa1' });
    for (const suffix of ['SENSOR', 'STATE', 'LWT']) assert.ok(canPublish(rules, tasmotaTopic('tele', s.topic, suffix, { tasmotaFullTopic: s.fullTopic })), suffix);
    assert.match(test.text, /-t 'casa1\/kitchen\/plug-1a2b\/temperature'/);
  });

  it('says where devices find the broker: the configured host, else the host the browser used when the URL is internal', () => {
    assert.deepEqual(brokerAddressFromEnv({ OCTOPUS_DEVICE_MQTT_HOST: 'broker.example.com', OCTOPUS_DEVICE_MQTT_TLS_PORT: '8883' }, 'mqtt://mosquitto:1883', 'octopus.lan:1880'), { host: 'broker.example.com', port: 1883, tlsPort: 8883 });
    assert.equal(brokerAddressFromEnv({}, 'mqtt://mosquitto:1883', 'octopus.lan:1880').host, 'octopus.lan');
    assert.equal(brokerAddressFromEnv({}, 'mqtt://127.0.0.1:1884', '192.168.1.5:1880').host, '192.168.1.5');
    assert.equal(brokerAddressFromEnv({}, 'mqtt://broker.example.com:1883', 'evil"host').host, 'broker.example.com');
    assert.equal(brokerAddressFromEnv({}, 'mqtt://127.0.0.1:1883', 'bad host<script>').host, '127.0.0.1');
  });

  it("makes the house's role from the same rules as its ACL file: denies first, grants after", () => {
    const role = createHouseRole('casa1') as unknown as { acls: Array<{ acltype: string; topic: string; allow: boolean; priority: number }> };
    const rules = aclRules({ username: 'x', role: 'devices', site: 'casa1' });
    assert.deepEqual(role.acls, dynsecAcls(rules));
    assert.ok(role.acls.filter((a) => !a.allow).every((a) => a.priority > 0));
    assert.ok(role.acls.some((a) => a.acltype === 'publishClientSend' && a.topic === 'casa1/cmnd/#' && !a.allow));
    assert.ok(canRead(rules, 'casa1/kitchen/plug/on/set'), 'it reads its Octopus commands');
    const client = createDeviceClient({ ...creds });
    assert.deepEqual([client.username, client.clientid, client.roles], [creds.username, creds.clientId, [{ rolename: 'octopus-house-casa1', priority: 0 }]]);
  });

  it('lets operators create houses and invite owners; owners invite residents and viewers and provision devices, only at home', () => {
    const operator: Grants = { operator: true, sites: new Map() };
    const owner: Grants = { operator: false, sites: new Map([['casa1', 'owner']]) };
    const resident: Grants = { operator: false, sites: new Map([['casa1', 'resident']]) };
    assert.deepEqual([canCreateHouse(operator), canCreateHouse(owner)], [true, false]);
    assert.equal(invitationProblem(operator, 'casa1', 'owner'), undefined);
    assert.equal(invitationProblem(owner, 'casa1', 'resident'), undefined);
    assert.equal(invitationProblem(owner, 'casa1', 'viewer'), undefined);
    assert.match(String(invitationProblem(owner, 'casa1', 'owner')), /only operators invite owners/);
    assert.match(String(invitationProblem(owner, 'casa2', 'viewer')), /does not allow inviting/);
    assert.match(String(invitationProblem(resident, 'casa1', 'viewer')), /does not allow inviting/);
    assert.deepEqual([canProvision(owner, 'casa1'), canProvision(owner, 'casa2'), canProvision(resident, 'casa1'), canProvision(operator, 'any')], [true, false, false, true]);
  });
});
