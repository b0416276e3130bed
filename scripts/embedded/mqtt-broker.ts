import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { AclRules } from '../../lib/mqtt-auth/acl';
import type { BrokerAuth } from '../../lib/mqtt-auth/broker-auth';
import type { LiveUserTable } from '../../lib/mqtt-auth/live-user-table';

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

const rulesOf = new WeakMap<Client, AclRules>();
const userOf = new WeakMap<Client, string>();

/**
 * An in-process MQTT broker (aedes) for running Octopus without Mosquitto. Like the project's
 * Mosquitto config, it refuses anonymous clients, applies the same per-house rules (lib/mqtt-auth),
 * and keeps queued messages for persistent sessions without a low cap, so a paused consumer does
 * not make it drop them. A refused publish closes the client's connection (MQTT 3.1.1 has no way
 * to refuse one publish; Mosquitto drops it silently instead): nothing refused is delivered either way.
 * Unlike Mosquitto it also ties client ids to users (a house connects only with its own users'
 * names as prefix) and refuses shared subscriptions to houses (lib/mqtt-auth/users.ts, acl.ts).
 */
export async function startEmbeddedBroker(port: number, auth: BrokerAuth, host = '127.0.0.1', live?: LiveUserTable): Promise<EmbeddedBroker> {
  const liveClients = new Set<Client>();
  const aedes = await Aedes.createBroker({
    queueLimit: 100000,
    concurrency: 1000,
    maxClientsIdLength: 256,
    authenticate(client, username, password, done) {
      // Devices and hubs provisioned through the API (lib/mqtt-auth/live-user-table.ts): one exact client id each.
      if (live?.has(username)) {
        const liveRules = live.authenticate(username as string, password?.toString('utf8'), client.id);
        if (!liveRules) return done(Object.assign(new Error('not authorized'), { returnCode: 5 }), false);
        rulesOf.set(client, liveRules);
        userOf.set(client, username as string);
        liveClients.add(client);
        return done(null, true);
      }
      const rules = auth.authenticate(username, password?.toString('utf8'));
      if (!rules) {
        const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
        return done(err, false);
      }
      // Client ids are tied to users: a house cannot kick Node-RED's source off or take its session.
      if (auth.clientIdProblem(username as string, client.id)) {
        const err = Object.assign(new Error('not authorized'), { returnCode: 5 });
        return done(err, false);
      }
      rulesOf.set(client, rules);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const rules = client ? rulesOf.get(client) : undefined;
      // No client: the broker's own messages ($SYS), which aedes authorizes through here too.
      if (!client) return done(null);
      if (rules && auth.canPublish(rules, packet.topic)) return done(null);
      const user = userOf.get(client);
      if (user) live?.denied(user, client.id, packet.topic);
      done(new Error(`not allowed to publish to ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, done) {
      const rules = rulesOf.get(client);
      done(null, rules && auth.canSubscribe(rules, sub.topic) ? sub : null);
    },
    authorizeForward(client, packet) {
      const rules = rulesOf.get(client);
      return rules && auth.canRead(rules, packet.topic) ? packet : null;
    },
  });
  // A revoked (or re-passworded) provisioned user is disconnected at once.
  aedes.on('clientDisconnect', (c) => liveClients.delete(c));
  live?.onRevoke((username) => {
    for (const c of liveClients) if (userOf.get(c) === username) c.close();
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `mqtt://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close(() => undefined);
      }),
  };
}
