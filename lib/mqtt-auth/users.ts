/**
 * Who may connect to the broker: Node-RED's ingest user (reads everything, the only one that
 * sends commands), and for every house (site) a user for its devices and one for its hub.
 * `fleet` is the development simulator's user on the embedded broker only (it plays many houses
 * and firmwares over one connection); it is never written to Mosquitto's files.
 */
export type MqttRole = 'ingest' | 'devices' | 'hub' | 'fleet';

export interface MqttUser {
  username: string;
  role: MqttRole;
  /** The house, for the devices and hub roles. */
  site?: string;
}

export const DEFAULT_INGEST_USER = 'octopus';

// A site is one topic level that also has to be safe as a word in Mosquitto's ACL and password
// files (no spaces, no `:`) and in a username: letters, digits, `_`, `-`, `.`.
const SITE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/;

export function siteProblem(site: string): string | undefined {
  if (!SITE.test(site)) return `house "${site}" cannot have MQTT users: a site name is 1–64 letters, digits, "_", "-" or "." (not starting with "-" or ".")`;
  return undefined;
}

export function usernameProblem(name: string): string | undefined {
  if (!USERNAME.test(name)) return `MQTT username "${name}" must be 1–128 letters, digits, "_", "-", "." or "@"`;
  return undefined;
}

export function deviceUsername(site: string): string {
  return `${site}-devices`;
}

export function hubUsername(site: string): string {
  return `${site}-hub`;
}

export function houseUsers(site: string): MqttUser[] {
  const problem = siteProblem(site);
  if (problem) throw new Error(problem);
  return [
    { username: deviceUsername(site), role: 'devices', site },
    { username: hubUsername(site), role: 'hub', site },
  ];
}

/** Every user for the given houses and ingest name, sorted, with clashes refused. */
export function allUsers(houses: Iterable<string>, ingestUser = DEFAULT_INGEST_USER): MqttUser[] {
  const problem = usernameProblem(ingestUser);
  if (problem) throw new Error(problem);
  const users: MqttUser[] = [{ username: ingestUser, role: 'ingest' }];
  for (const site of [...new Set(houses)].sort()) users.push(...houseUsers(site));
  const seen = new Set<string>();
  for (const u of users) {
    if (seen.has(u.username)) throw new Error(`MQTT username "${u.username}" would belong to two users; rename the ingest user (MQTT_USERNAME)`);
    seen.add(u.username);
  }
  return users;
}
