/**
 * Ready-to-paste configuration for a provisioned device, per firmware: what the owner copies from
 * /ui once, right after adding it. Pure. Every topic stays inside what the house's rules let it
 * write (lib/mqtt-auth/acl.ts: two to four levels starting with its site, firmware command shapes
 * excepted), and names the device's own topic id so two devices never share topics.
 */
export const FIRMWARES = ['tasmota', 'esphome', 'shelly', 'zigbee2mqtt', 'other'] as const;
export type Firmware = (typeof FIRMWARES)[number];

export interface BrokerAddress {
  /** Host name or address as the devices see it (LAN or internet). */
  host: string;
  /** Plain MQTT port. */
  port: number;
  /** TLS port, when the broker offers one to devices. */
  tlsPort?: number;
}

export interface ClientCredentials {
  site: string;
  room: string;
  /** The device's own topic level (Tasmota's Topic). */
  topicId: string;
  username: string;
  password: string;
  clientId: string;
}

export interface FirmwareSnippet {
  firmware: Firmware | 'mosquitto_pub';
  title: string;
  /** Where to paste it. */
  where: string;
  text: string;
}

/** Quotes a value for a POSIX shell (single quotes). */
const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

export function tasmotaBacklog(b: BrokerAddress, c: ClientCredentials): string {
  return `Backlog MqttHost ${b.host}; MqttPort ${b.port}; MqttUser ${c.username}; MqttPassword ${c.password}; MqttClient ${c.clientId}; Topic ${c.topicId}; FullTopic ${c.site}/%topic%/%prefix%/`;
}

export function esphomeYaml(b: BrokerAddress, c: ClientCredentials): string {
  return [
    'mqtt:',
    `  broker: ${b.host}`,
    `  port: ${b.port}`,
    `  username: ${c.username}`,
    `  password: "${c.password}"`,
    `  client_id: ${c.clientId}`,
    // ESPHome publishes <prefix>/<component>/<name>/state: with the site as prefix that is four levels, inside the house's rights.
    `  topic_prefix: ${c.site}`,
    '  discovery: false',
  ].join('\n');
}

export function shellySettings(b: BrokerAddress, c: ClientCredentials): string {
  return [
    'Settings → MQTT (Shelly Plus/Pro, Gen2+):',
    '  Enable: on',
    `  Server: ${b.host}:${b.port}`,
    `  Client ID: ${c.clientId}`,
    `  Username: ${c.username}`,
    `  Password: ${c.password}`,
    `  MQTT prefix: ${c.site}/${c.topicId}`,
    '  RPC status notifications over MQTT: on',
  ].join('\n');
}

export function zigbee2mqttYaml(b: BrokerAddress, c: ClientCredentials): string {
  return [
    'mqtt:',
    `  base_topic: ${c.site}/zigbee2mqtt`,
    `  server: mqtt://${b.host}:${b.port}`,
    `  user: ${c.username}`,
    `  password: "${c.password}"`,
    `  client_id: ${c.clientId}`,
  ].join('\n');
}

/** A test line: one Octopus reading (`site/room/device/attribute`, a plain number). */
export function mosquittoPubLine(b: BrokerAddress, c: ClientCredentials): string {
  return `mosquitto_pub -h ${sh(b.host)} -p ${b.port} -u ${sh(c.username)} -P ${sh(c.password)} -i ${sh(c.clientId)} -t ${sh(`${c.site}/${c.room}/${c.topicId}/temperature`)} -m 21.5`;
}

/** The snippets for a device: its own firmware's first, then the test line, then the others. */
export function firmwareSnippets(firmware: Firmware, b: BrokerAddress, c: ClientCredentials): FirmwareSnippet[] {
  const all: FirmwareSnippet[] = [
    { firmware: 'tasmota', title: 'Tasmota console', where: 'Tasmota web page → Tools → Console; the device restarts and connects.', text: tasmotaBacklog(b, c) },
    { firmware: 'esphome', title: 'ESPHome', where: 'Your device\'s YAML (replaces any api: block\'s MQTT settings); then install.', text: esphomeYaml(b, c) },
    { firmware: 'shelly', title: 'Shelly', where: 'The Shelly\'s web page → Settings → MQTT.', text: shellySettings(b, c) },
    { firmware: 'zigbee2mqtt', title: 'Zigbee2MQTT', where: 'configuration.yaml of Zigbee2MQTT; then restart it.', text: zigbee2mqttYaml(b, c) },
  ];
  const own = all.filter((s) => s.firmware === firmware);
  const rest = all.filter((s) => s.firmware !== firmware);
  const test: FirmwareSnippet = { firmware: 'mosquitto_pub', title: 'Test from a computer', where: 'A terminal with the Mosquitto clients installed; sends one reading as this device.', text: mosquittoPubLine(b, c) };
  return [...own, test, ...rest];
}

/** A host name or IPv4 address a person could type, or undefined (from a Host header: anyone's text). */
function plainHost(hostHeader: string | undefined): string | undefined {
  const name = hostHeader?.replace(/:\d{1,5}$/, '');
  return name && /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(name) ? name : undefined;
}

const INTERNAL = (host: string) => /^(?:127\.|localhost$|::1$)/.test(host) || !host.includes('.');

/**
 * Where devices reach the broker: OCTOPUS_DEVICE_MQTT_HOST / _PORT / _TLS_PORT; else the host of
 * the URL Node-RED uses, unless that is one only this machine or its compose network knows
 * (127.0.0.1, `mosquitto`): then the host the person's browser reached Octopus by, which is how
 * a device on the same network finds this machine too.
 */
export function brokerAddressFromEnv(env: NodeJS.ProcessEnv, fallbackUrl: string | undefined, requestHost?: string): BrokerAddress {
  let host = 'localhost';
  let port = 1883;
  try {
    if (fallbackUrl) {
      const u = new URL(fallbackUrl);
      host = u.hostname || host;
      port = Number(u.port) || port;
    }
  } catch {
    // keep the defaults
  }
  const seen = plainHost(requestHost);
  if (INTERNAL(host) && seen) host = seen;
  const num = (v: string | undefined) => (v && /^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? Number(v) : undefined);
  return {
    host: env.OCTOPUS_DEVICE_MQTT_HOST || host,
    port: num(env.OCTOPUS_DEVICE_MQTT_PORT) ?? port,
    tlsPort: num(env.OCTOPUS_DEVICE_MQTT_TLS_PORT),
  };
}
