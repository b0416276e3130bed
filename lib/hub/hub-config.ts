import { hashPassword, randomPassword } from '../mqtt-auth/password-hash';
import { parsePasswordFile, renderPasswordFile } from '../mqtt-auth/password-file';
import { deviceUsername, hubUsername, siteProblem } from '../mqtt-auth/users';

/**
 * The Mosquitto config of a house hub (a Raspberry Pi class machine in the house): a local
 * listener for the house's devices, and a bridge to the central broker over TLS, logged in as the
 * house's hub user. Local topics appear centrally below the house's site (`salon/t1/temperature`
 * → `<site>/salon/t1/temperature`), commands sent centrally to the house come back down without
 * the prefix, and while the uplink is down the hub queues what its devices publish (persistent
 * bridge session, local persistence, no low queue cap) and sends it when the link returns.
 */
export interface HubConfigOptions {
  site: string;
  /** The central broker's TLS listener, host:port. */
  central: string;
  /** The hub user's password (`npm run mqtt:users` made it). */
  password: string;
  /** Default: `<site>-hub`. */
  username?: string;
  /** The CA that signed the central broker's certificate, as a path on the hub. */
  caFile?: string;
  localPort?: number;
  /** Address the local listener binds (default: all, the house's LAN). */
  localBind?: string;
  persistenceDir?: string;
  /** Local topic prefix that maps onto `<site>/` centrally: '' (default) when the house's devices do not name their site, `<site>/` when they do. */
  localPrefix?: string;
  /** Central topics (below `<site>/`) brought down to the hub: the Octopus command shape by default. */
  commandTopics?: readonly string[];
  /**
   * Require local logins with this Mosquitto password file (a path on the hub; `npm run hub:config`
   * writes one with the house's devices user). Without it the local listener must be bound to the
   * loopback address or `localAnonymous` set: an anonymous LAN listener lets anyone on the house's
   * network (a guest's phone, a compromised gadget) publish as the house's devices and read its commands.
   */
  localPasswordFile?: string;
  /** Accept an anonymous local listener on the LAN (refused unless asked for). */
  localAnonymous?: boolean;
  /** Cap on what one outage may queue, bytes (a Pi's memory); default 256 MiB. */
  maxQueuedBytes?: number;
  /** Reconnect backoff of the uplink, seconds: [base, cap] (default [2, 30]). */
  restartTimeout?: readonly [number, number];
}

export const DEFAULT_HUB_CA_FILE = '/mosquitto/config/certs/central-ca.crt';
/** Where the hub's local password file is on the hub (next to its mosquitto.conf). */
export const DEFAULT_HUB_PASSWORD_FILE = '/mosquitto/config/passwd';
/** What goes up: the shapes of a house's write grants (lib/mqtt-auth/acl.ts) below its site. */
export const UPLINK_SHAPES: readonly string[] = ['+', '+/+', '+/+/+'];
export const DEFAULT_COMMAND_TOPICS: readonly string[] = ['+/+/+/set'];

function word(value: string, what: string): string {
  if (!/^[^\s"#]+$/.test(value)) throw new Error(`${what} "${value}" must be one word without spaces, quotes or #`);
  return value;
}

/** A bind address only the hub itself can reach. */
export function isLoopback(bind: string | undefined): boolean {
  return bind !== undefined && (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bind) || bind === '::1' || bind === 'localhost');
}

/**
 * The hub's local password file: what is in `existing` stays (a running device's password never
 * changes under it), and the house's devices user (`<site>-devices`) is added with a new random
 * password when missing, returned once to hand over.
 */
export function hubLocalPasswordFile(site: string, existing: string, makePassword: () => string = () => randomPassword()): { passwordFile: string; newCredentials: { username: string; password: string }[] } {
  const problem = siteProblem(site);
  if (problem) throw new Error(problem);
  const entries = parsePasswordFile(existing);
  const username = deviceUsername(site);
  const newCredentials: { username: string; password: string }[] = [];
  if (!entries.has(username)) {
    const password = makePassword();
    entries.set(username, hashPassword(password));
    newCredentials.push({ username, password });
  }
  return { passwordFile: renderPasswordFile(entries), newCredentials };
}

function topicWord(filter: string): string {
  if (!/^[^\s"]+$/.test(filter) || /#./.test(filter)) throw new Error(`command topic "${filter}" must be an MQTT filter without spaces or quotes`);
  return filter;
}

export function renderHubConfig(o: HubConfigOptions): string {
  const problem = siteProblem(o.site);
  if (problem) throw new Error(problem);
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(o.central);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`central broker "${o.central}" must be host:port (its TLS listener, e.g. broker.example.com:8883)`);
  if (!o.password || /[\s]/.test(o.password)) throw new Error('the hub password must be given and have no spaces (the one `npm run mqtt:users` made)');
  const username = word(o.username ?? hubUsername(o.site), 'username');
  const localPort = o.localPort ?? 1883;
  if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535) throw new Error(`local port ${localPort} is not a TCP port`);
  const localPrefix = o.localPrefix ?? '';
  if (localPrefix !== '' && !/^[^\s#+]+\/$/.test(localPrefix)) throw new Error(`local prefix "${localPrefix}" must end with "/" and have no wildcards`);
  const commandTopics = o.commandTopics ?? DEFAULT_COMMAND_TOPICS;
  const maxQueuedBytes = o.maxQueuedBytes ?? 256 * 1024 * 1024;
  const [base, cap] = o.restartTimeout ?? [2, 30];
  if (!(Number.isInteger(base) && Number.isInteger(cap) && base >= 1 && cap >= base)) throw new Error(`restart timeout ${base},${cap} must be whole seconds, base ≥ 1, cap ≥ base`);
  const local = localPrefix === '' ? '""' : localPrefix;
  const remote = `${o.site}/`;
  const lines = [
    `# Mosquitto config of the hub of house ${o.site}, made by \`npm run hub:config\` (docs/hub.md).`,
    '# It holds the hub user\'s password: keep it mode 600, never commit it.',
    '',
    '# Queued messages survive a restart of the hub while the uplink is down.',
    'persistence true',
    `persistence_location ${word(o.persistenceDir ?? '/mosquitto/data/', 'persistence directory')}`,
    'autosave_interval 30',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'connection_messages true',
    '',
    '# An outage can last hours: no count limit on queued QoS 1 messages, a byte cap for the Pi\'s memory.',
    'max_inflight_messages 0',
    'max_queued_messages 0',
    `max_queued_bytes ${maxQueuedBytes}`,
    'queue_qos0_messages false',
    '',
    'per_listener_settings false',
    ...(o.localPasswordFile
      ? ["# The house's devices log in (the house's devices user, made by `npm run hub:config`).", 'allow_anonymous false', `password_file ${word(o.localPasswordFile, 'local password file')}`]
      : [
          isLoopback(o.localBind) ? '# Anonymous, but only reachable from the hub itself.' : '# Anonymous on the house\'s LAN, as asked (--local-anonymous): anyone there can publish as its devices.',
          'allow_anonymous true',
        ]),
    `listener ${localPort}${o.localBind ? ` ${word(o.localBind, 'local bind address')}` : ''}`,
    '',
    '# The uplink: TLS to the central broker as the house\'s hub user.',
    `connection octopus-${o.site}`,
    `address ${o.central}`,
    `remote_clientid ${username}`,
    `remote_username ${username}`,
    `remote_password ${o.password}`,
    `bridge_cafile ${word(o.caFile ?? DEFAULT_HUB_CA_FILE, 'CA file')}`,
    'bridge_insecure false',
    'bridge_protocol_version mqttv311',
    'try_private true',
    // The uplink only ever sends the shapes below; unsubscribing them centrally is pointless traffic.
    'bridge_attempt_unsubscribe false',
    '# A persistent session on both ends: the central broker keeps commands for the hub while it is away,',
    '# the hub keeps its devices\' readings for the central broker while the uplink is down.',
    'cleansession false',
    'local_cleansession false',
    'start_type automatic',
    `restart_timeout ${base} ${cap}`,
    'keepalive_interval 30',
    '# The central ACL gives the hub nothing under $SYS: no connection notifications there.',
    'notifications false',
    `# Local topics of one to three levels go up below ${remote}: the reading shapes the central ACL lets a`,
    '# house write. Deeper topics (Octopus commands `room/device/attribute/set` among them) stay in the house.',
    ...UPLINK_SHAPES.map((t) => `topic ${t} out 1 ${local} ${remote}`),
    '# Commands sent centrally to this house come down without the site prefix.',
    ...commandTopics.map((t) => `topic ${topicWord(t)} in 1 ${local} ${remote}`),
    '',
  ];
  // Checked last, so that any malformed option is named first.
  if (!o.localPasswordFile && !o.localAnonymous && !isLoopback(o.localBind)) {
    throw new Error(
      "the hub's local listener would let anyone on the house's network in without a password (and publish as its devices): give a local password file (npm run hub:config writes one with the house's devices user), bind it to 127.0.0.1, or accept an anonymous LAN listener with --local-anonymous",
    );
  }
  return lines.join('\n');
}
