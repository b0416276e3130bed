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

/**
 * Top-level topics that are not houses: the app's own tree and every firmware tree the parser
 * profiles read (and discovery prefixes). A house of that name would be granted the whole tree —
 * every Tasmota's telemetry for a house named `tele`, Node-RED's alerts for `octopus`.
 */
export const RESERVED_SITES: readonly string[] = [
  'octopus',
  'homeassistant',
  'tele',
  'stat',
  'cmnd',
  'tasmota',
  'zigbee2mqtt',
  'shellies',
  'shelly',
  'homie',
  'owntracks',
  'esphome',
];

export function siteProblem(site: string): string | undefined {
  if (!SITE.test(site)) return `house "${site}" cannot have MQTT users: a site name is 1–64 letters, digits, "_", "-" or "." (not starting with "-" or ".")`;
  if (RESERVED_SITES.includes(site.toLowerCase())) {
    return `house "${site}" cannot have MQTT users: "${site}" is a top-level topic of Octopus or of a device firmware (${RESERVED_SITES.join(', ')}), and its users would read and write that whole tree; choose another site name`;
  }
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

/**
 * Whose client id this is: the user with the longest name that the id equals or starts with
 * followed by `-` (`casa1-devices-lamp` is casa1-devices'; `casa-1-devices-x` is casa-1-devices',
 * not casa's), or undefined.
 */
export function clientIdOwner(clientId: string, users: readonly MqttUser[]): MqttUser | undefined {
  let owner: MqttUser | undefined;
  for (const u of users) {
    if ((clientId === u.username || clientId.startsWith(`${u.username}-`)) && (!owner || u.username.length > owner.username.length)) owner = u;
  }
  return owner;
}

/**
 * Client ids are tied to users, so that no user can take another's session or kick it off (a
 * broker closes the older of two connections with one id, and hands a persistent session to
 * whoever reconnects under its id): a house's users connect only with their own name or
 * `<name>-…` (`casa1-devices-lamp`, `casa1-hub`); Node-RED's ingest user and the simulator may use
 * any id that is not a house user's.
 */
export function clientIdProblem(user: MqttUser, clientId: string, users: readonly MqttUser[]): string | undefined {
  const owner = clientIdOwner(clientId, users);
  if (user.role === 'devices' || user.role === 'hub') {
    if (owner?.username !== user.username) return `client id "${clientId}" is not ${user.username}'s: a house's clients use ids "${user.username}" or "${user.username}-<anything>"`;
    return undefined;
  }
  if (owner && (owner.role === 'devices' || owner.role === 'hub')) return `client id "${clientId}" belongs to house user ${owner.username}`;
  return undefined;
}
