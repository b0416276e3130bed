import { aclRules } from './acl';
import { renderAclFile } from './acl-file';
import { hashPassword, randomPassword, verifyPassword } from './password-hash';
import { parsePasswordFile, renderPasswordFile } from './password-file';
import { allUsers, siteProblem, type MqttUser } from './users';

export interface UserPlanInput {
  /** The password file as it is now ('' when there is none). */
  existingPasswordFile: string;
  /** Houses from the registry and the command line. */
  houses: Iterable<string>;
  ingestUser: string;
  /** The ingest user's password when the deployment sets it (MQTT_PASSWORD / MQTT_URL): it always wins. */
  ingestPassword?: string;
  /** Drop users of houses no longer listed (by default they keep their access). */
  prune?: boolean;
  makePassword?: () => string;
  hash?: (password: string) => string;
}

export interface UserPlan {
  users: MqttUser[];
  passwordFile: string;
  aclFile: string;
  /** Passwords made in this run, to hand over once: existing users keep theirs and are not listed. */
  newCredentials: { username: string; password: string }[];
  /** Users in the old file that were dropped (only with prune). */
  removed: string[];
}

/**
 * Decides the password file and ACL: every house's users plus the ingest user; existing users keep
 * their hashes (their passwords are not known here and must not change under a running device);
 * new users get random passwords; houses found only in the old file are kept unless pruned.
 */
export function planUsers(input: UserPlanInput): UserPlan {
  const makePassword = input.makePassword ?? (() => randomPassword());
  const hash = input.hash ?? ((pw: string) => hashPassword(pw));
  const existing = parsePasswordFile(input.existingPasswordFile);
  const houses = new Set(input.houses);
  if (!input.prune) {
    for (const name of existing.keys()) {
      const m = /^(.+)-(devices|hub)$/.exec(name);
      if (m && name !== input.ingestUser && siteProblem(m[1]) === undefined) houses.add(m[1]);
    }
  }
  const users = allUsers(houses, input.ingestUser);
  const entries = new Map<string, string>();
  const newCredentials: UserPlan['newCredentials'] = [];
  for (const user of users) {
    const old = existing.get(user.username);
    if (user.role === 'ingest' && input.ingestPassword !== undefined) {
      entries.set(user.username, old !== undefined && verifyPassword(old, input.ingestPassword) ? old : hash(input.ingestPassword));
    } else if (old !== undefined) {
      entries.set(user.username, old);
    } else {
      const password = makePassword();
      entries.set(user.username, hash(password));
      newCredentials.push({ username: user.username, password });
    }
  }
  const removed = [...existing.keys()].filter((u) => !entries.has(u));
  // Rules are computed for each user here as well, so a bad site fails before anything is written.
  users.forEach((u) => aclRules(u));
  return { users, passwordFile: renderPasswordFile(entries), aclFile: renderAclFile(users), newCredentials, removed };
}
