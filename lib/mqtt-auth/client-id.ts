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
