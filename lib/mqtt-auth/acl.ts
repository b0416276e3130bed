import { filtersOverlap, topicMatches, unshared } from './topic-match';
import type { MqttUser } from './users';

/**
 * What each user may read and write, one model for both brokers: rendered into Mosquitto's ACL
 * file (acl-file.ts) and enforced by the embedded aedes broker (scripts/embedded/).
 *
 * A house's users write readings below their site: one to four topic levels (`<site>/…`, every
 * Octopus reading shape: `site/room/device/attribute`, `site/room/device`, …). Octopus commands
 * are `<site>/<room>/<device>/<attribute>/set`, five levels, so a house can read them (its
 * devices obey them) but never write one. Mosquitto's `deny` takes away reading as well as
 * writing, so it is used only for the firmware command shapes that fit within four levels
 * (Tasmota `cmnd`, Zigbee2MQTT `…/set`, Shelly Gen2 `…/command` and `…/rpc`): a house neither
 * sends nor reads those below its site. Node-RED's ingest user reads and writes everything.
 */
export interface AclRules {
  read: string[];
  write: string[];
  /** Neither read nor write, whatever read/write grant (Mosquitto's `topic deny`). */
  deny: string[];
  /**
   * May make shared subscriptions (`$share/<group>/…`). Only Node-RED's users: a house in the
   * ingest's group would be handed its share of every message and could read only its own, so
   * the rest would be lost to the ingest.
   */
  shared: boolean;
}

/** Firmware command shapes that would fit in a house's write grants, relative to its site. */
export const HOUSE_COMMAND_SHAPES: readonly string[] = ['cmnd/#', '+/cmnd/#', 'zigbee2mqtt/+/set/#', '+/command/#', '+/rpc'];

export function aclRules(user: MqttUser): AclRules {
  if (user.role === 'ingest' || user.role === 'fleet') return { read: ['#'], write: ['#'], deny: [], shared: true };
  const site = user.site as string;
  return {
    read: [`${site}/#`],
    write: [`${site}/+`, `${site}/+/+`, `${site}/+/+/+`],
    deny: HOUSE_COMMAND_SHAPES.map((shape) => `${site}/${shape}`),
    shared: false,
  };
}

function denied(rules: AclRules, topic: string): boolean {
  return rules.deny.some((d) => topicMatches(d, topic));
}

export function canPublish(rules: AclRules, topic: string): boolean {
  return !denied(rules, topic) && rules.write.some((w) => topicMatches(w, topic));
}

/** Whether a message on `topic` may be delivered to the user (checked per message, as Mosquitto does). */
export function canRead(rules: AclRules, topic: string): boolean {
  return !denied(rules, topic) && rules.read.some((r) => topicMatches(r, topic));
}

/**
 * Whether a subscription may be made: when it can match some topic the user may read. What it
 * delivers is still filtered per message by canRead (a house subscribing to `#` gets its own
 * topics only).
 */
export function canSubscribe(rules: AclRules, filter: string): boolean {
  if (filter.startsWith('$share/') && !rules.shared) return false;
  const f = unshared(filter);
  return f !== '' && rules.read.some((r) => filtersOverlap(r, f));
}
