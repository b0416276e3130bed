import { aclRules, canPublish, canRead, canSubscribe, type AclRules } from './acl';
import { verifyPassword } from './password-hash';
import { parsePasswordFile } from './password-file';
import { clientIdProblem, type MqttUser } from './users';

/**
 * The three questions a broker asks, answered from the same users, hashes and rules as the
 * Mosquitto files: who is this (a `$7$` hash check), may it publish here, may it subscribe to
 * this / receive that. The embedded aedes broker calls these.
 */
export interface BrokerAuth {
  /** The user's rules when the password is right, else undefined (unknown users and anonymous too). */
  authenticate(username: string | undefined, password: string | undefined): AclRules | undefined;
  /** Why this (authenticated) user may not connect with this client id, or undefined (see users.ts clientIdProblem). */
  clientIdProblem(username: string, clientId: string): string | undefined;
  canPublish(rules: AclRules, topic: string): boolean;
  canSubscribe(rules: AclRules, filter: string): boolean;
  canRead(rules: AclRules, topic: string): boolean;
}

export function createBrokerAuth(users: readonly MqttUser[], passwordFile: string): BrokerAuth {
  const hashes = parsePasswordFile(passwordFile);
  const byName = new Map(users.map((u) => [u.username, u]));
  // Verifying a hash is deliberately slow; a client reconnecting with the same right password is
  // not made to pay it again.
  const verified = new Map<string, string>();
  return {
    authenticate(username, password) {
      if (!username || password === undefined) return undefined;
      const user = byName.get(username);
      const hash = hashes.get(username);
      if (!user || !hash) return undefined;
      if (verified.get(username) !== password) {
        if (!verifyPassword(hash, password)) return undefined;
        verified.set(username, password);
      }
      return aclRules(user);
    },
    clientIdProblem(username, clientId) {
      const user = byName.get(username);
      if (!user) return `unknown user ${username}`;
      return clientIdProblem(user, clientId, users);
    },
    canPublish,
    canSubscribe,
    canRead,
  };
}
