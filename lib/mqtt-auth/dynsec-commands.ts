import { aclRules, type AclRules } from './acl';
import type { MqttUser } from './users';

/**
 * The commands of Mosquitto's dynamic security plugin (`$CONTROL/dynamic-security/v1`) that make
 * the same per-house model as the password file and ACL (acl.ts): a role per house, a client per
 * device or hub. Pure: builds the JSON the plugin reads; dynsec-admin.ts sends it.
 *
 * What the plugin can and cannot do (Mosquitto 2.0): a client may be bound to one exact client id
 * (`clientid`), not to a prefix, so every provisioned device gets its own username *and* its own
 * exact client id. ACL entries are allow/deny with priorities; the house's deny shapes (firmware
 * command topics) get a higher priority than its grants. Deleting or disabling a client
 * disconnects it at once.
 */
export type DynsecCommand = Record<string, unknown> & { command: string };

export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = '$CONTROL/dynamic-security/v1/response';

/** Node-RED's ingest role, made at the broker's first start by mosquitto/dynsec-init.sh. */
export const INGEST_ROLE = 'octopus-ingest';
export const houseRole = (site: string): string => `octopus-house-${site}`;

interface Acl {
  acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribePattern' | 'unsubscribePattern';
  topic: string;
  priority: number;
  allow: boolean;
}

/** The plugin's ACL entries for a set of rules (acl.ts): denies first (priority 10), then grants. */
export function dynsecAcls(rules: AclRules): Acl[] {
  const acls: Acl[] = [];
  for (const topic of rules.deny) {
    acls.push({ acltype: 'publishClientSend', topic, priority: 10, allow: false });
    acls.push({ acltype: 'publishClientReceive', topic, priority: 10, allow: false });
    acls.push({ acltype: 'subscribePattern', topic, priority: 10, allow: false });
  }
  for (const topic of rules.write) acls.push({ acltype: 'publishClientSend', topic, priority: 0, allow: true });
  for (const topic of rules.read) {
    acls.push({ acltype: 'subscribePattern', topic, priority: 0, allow: true });
    acls.push({ acltype: 'publishClientReceive', topic, priority: 0, allow: true });
  }
  return acls;
}

/** The house's role, made from the same rules as its Mosquitto ACL file entries. */
export function createHouseRole(site: string): DynsecCommand {
  const user: MqttUser = { username: `${site}-devices`, role: 'devices', site };
  return { command: 'createRole', rolename: houseRole(site), textname: `Octopus house ${site}`, acls: dynsecAcls(aclRules(user)) };
}

export interface DeviceClient {
  username: string;
  password: string;
  clientId: string;
  site: string;
  textname?: string;
}

export function createDeviceClient(c: DeviceClient): DynsecCommand {
  return {
    command: 'createClient',
    username: c.username,
    password: c.password,
    clientid: c.clientId,
    textname: c.textname ?? `Octopus device of ${c.site}`,
    roles: [{ rolename: houseRole(c.site), priority: 0 }],
  };
}

export const setClientPassword = (username: string, password: string): DynsecCommand => ({ command: 'setClientPassword', username, password });
/** Deleting a client disconnects it at once (the plugin kicks every connection of that username). */
export const deleteClient = (username: string): DynsecCommand => ({ command: 'deleteClient', username });
export const disableClient = (username: string): DynsecCommand => ({ command: 'disableClient', username });
export const getClient = (username: string): DynsecCommand => ({ command: 'getClient', username });
export const getRole = (rolename: string): DynsecCommand => ({ command: 'getRole', rolename });
