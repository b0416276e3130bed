import { hubUsername, siteProblem } from '../mqtt-auth/users';

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
  /** Require local logins with this Mosquitto password file; unset: anonymous on the house's LAN. */
  localPasswordFile?: string;
  /** Cap on what one outage may queue, bytes (a Pi's memory); default 256 MiB. */
  maxQueuedBytes?: number;
  /** Reconnect backoff of the uplink, seconds: [base, cap] (default [2, 30]). */
  restartTimeout?: readonly [number, number];
}

export const DEFAULT_HUB_CA_FILE = '/mosquitto/config/certs/central-ca.crt';
/** What goes up: the shapes of a house's write grants (lib/mqtt-auth/acl.ts) below its site. */
export const UPLINK_SHAPES: readonly string[] = ['+', '+/+', '+/+/+'];
export const DEFAULT_COMMAND_TOPICS: readonly string[] = ['+/+/+/set'];

function word(value: string, what: string): string {
  if (!/^[^\s"#]+$/.test(value)) throw new Error(`${what} "${value}" must be one word without spaces, quotes or #`);
  return value;
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
      ? ['allow_anonymous false', `password_file ${word(o.localPasswordFile, 'local password file')}`]
      : ["# The house's devices on its LAN; set --local-password-file to require logins here too.", 'allow_anonymous true']),
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
  return lines.join('\n');
}
