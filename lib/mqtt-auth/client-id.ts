import { createHmac } from 'node:crypto';

/**
 * The client id Node-RED's clients connect with. Everything in the readable part is predictable
 * (the repo's defaults, node ids in the shipped flow, OCTOPUS_CLIENT_ID from compose), and a broker
 * hands a connection's persistent session to, and closes the connection of, whoever connects with
 * the same id. Mosquitto 2 cannot tie client ids to users, so with a password the id ends with a
 * tag made from it: stable across restarts, unknowable to a house (docs/security-mqtt.md).
 * Without a password (an anonymous broker) anyone can do anything anyway; the id stays as it is.
 */
export function ingestClientId(base: string, password: string | undefined): string {
  if (!password) return base;
  return `${base}-${createHmac('sha256', password).update(`octopus-client-id|${base}`).digest('hex').slice(0, 16)}`;
}

/**
 * The shared-subscription group Node-RED's sources join. Mosquitto 2 lets any user subscribe to
 * `$share/<group>/<a topic it may read>`, and a member of the group is handed a share of the
 * messages, which the other members then never see. With a password the configured group name
 * gets a tag made from it, the same on every instance with that password, so no house can name
 * the ingest's group. Without a password the name stays as configured.
 */
export function ingestShareGroup(group: string, password: string | undefined): string {
  if (!password) return group;
  return `${group}-${createHmac('sha256', password).update(`octopus-share-group|${group}`).digest('hex').slice(0, 16)}`;
}
