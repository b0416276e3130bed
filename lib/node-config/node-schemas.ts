import type { FromSchema } from 'json-schema-to-ts';

/**
 * The saved configuration of each Octopus node, as JSON Schemas: the one definition of what a flow
 * may hold for a node, checked when the node starts (node-config.ts), with the TypeScript type of
 * each derived from its schema. Pure: no Node-RED.
 *
 * The schemas check the shape (a number setting is a number or the text the editor stores, a
 * choice is one of its values, text is bounded); ranges and cross-field rules stay with the node,
 * which words them for its own settings. Properties Node-RED adds (id, type, z, wires, x, y…) and
 * those of a newer Octopus are let through.
 */

/** A number setting: the editor stores what was typed (text); flows written by hand hold numbers. */
const NUMBER = { type: ['number', 'string'], maxLength: 40 } as const;
/** A short text setting. */
const TEXT = { type: 'string', maxLength: 2000 } as const;
/** The id of a config node (octopus-postgres, octopus-broker, octopus-registry); empty: none. */
const REF = { type: 'string', maxLength: 200 } as const;
/** Which version of the node's properties the config was saved with (migrations.ts). */
const VERSION = { type: 'integer', minimum: 0 } as const;

/** A node's config schema: its own properties, with the version and name every node has. */
function nodeSchema<const P extends Record<string, object>>(properties: P) {
  return { type: 'object', properties: { configVersion: VERSION, name: TEXT, ...properties } } as const;
}

export const BROKER_SCHEMA = nodeSchema({
  url: TEXT,
  clientId: TEXT,
  keepalive: NUMBER,
  tlsRejectUnauthorized: { type: 'boolean' },
  tlsCaFile: TEXT,
  tlsCertFile: TEXT,
  tlsKeyFile: TEXT,
});
export type BrokerConfig = FromSchema<typeof BROKER_SCHEMA>;

export const POSTGRES_SCHEMA = nodeSchema({
  target: TEXT,
  poolSize: NUMBER,
  rawRetentionDays: NUMBER,
});
export type PostgresConfig = FromSchema<typeof POSTGRES_SCHEMA>;

export const MQTT_IN_SCHEMA = nodeSchema({
  broker: REF,
  topics: { type: 'string', maxLength: 100_000 },
  qos: NUMBER,
  ackMode: { enum: ['after-store', 'on-receipt'] },
  maxInFlight: NUMBER,
  sharedGroup: TEXT,
  output: { enum: ['single', 'group'] },
});
export type MqttInConfig = FromSchema<typeof MQTT_IN_SCHEMA>;

export const PARSE_SCHEMA = nodeSchema({
  maxPayloadBytes: NUMBER,
  profiles: TEXT,
  site: TEXT,
  maxLevelBytes: NUMBER,
  maxDevicesPerSite: NUMBER,
  maxAttributesPerDevice: NUMBER,
  // parse-config.ts bounds the templates to 20 000 characters with its own sentence.
  templates: { type: 'string' },
  tasmotaFullTopic: TEXT,
  tasmotaPrefixes: TEXT,
});
export type ParseNodeConfig = FromSchema<typeof PARSE_SCHEMA>;

export const STORE_SCHEMA = nodeSchema({
  database: REF,
  batchSize: NUMBER,
  batchWaitMs: NUMBER,
});
export type StoreConfig = FromSchema<typeof STORE_SCHEMA>;

export const REGISTRY_SCHEMA = nodeSchema({
  database: REF,
  broker: REF,
  commandTimeoutS: NUMBER,
  staleAfterIntervals: NUMBER,
  offlineAfterIntervals: NUMBER,
  defaultIntervalS: NUMBER,
  maxDevicesPerSite: NUMBER,
  maxAttributesPerDevice: NUMBER,
});
export type RegistryConfig = FromSchema<typeof REGISTRY_SCHEMA>;

export const DEVICES_SCHEMA = nodeSchema({
  registry: REF,
  events: TEXT,
});
export type DevicesConfig = FromSchema<typeof DEVICES_SCHEMA>;

export const COMMAND_SCHEMA = nodeSchema({
  registry: REF,
  timeoutS: NUMBER,
});
export type CommandConfig = FromSchema<typeof COMMAND_SCHEMA>;

export const DASHBOARD_SCHEMA = nodeSchema({
  path: TEXT,
  registry: REF,
});
export type DashboardConfig = FromSchema<typeof DASHBOARD_SCHEMA>;

export const ALERT_SCHEMA = nodeSchema({
  database: REF,
  broker: REF,
  topicPrefix: TEXT,
  /** The rule list as JSON text, from the editor (checked by lib/alerts/rule-check.ts). */
  rules: { type: 'string', maxLength: 64 * 1024 * 1024 },
  repeatS: NUMBER,
  quietHours: TEXT,
});
export type AlertConfig = FromSchema<typeof ALERT_SCHEMA>;

export const NOTIFY_SCHEMA = nodeSchema({
  database: REF,
  /** The site a message without msg.site notifies; empty: msg.site is needed. */
  site: TEXT,
  /** A message's severity without msg.severity; empty reads as info (as it always did). */
  severity: { enum: ['info', 'warning', 'critical', ''] },
});
export type NotifyConfig = FromSchema<typeof NOTIFY_SCHEMA>;

export const AUTOMATION_SCHEMA = nodeSchema({
  registry: REF,
  /** Only runs of this site; empty: every site. */
  site: TEXT,
});
export type AutomationConfig = FromSchema<typeof AUTOMATION_SCHEMA>;

/** Every Octopus node type's config schema. */
export const NODE_SCHEMAS = {
  'octopus-broker': BROKER_SCHEMA,
  'octopus-postgres': POSTGRES_SCHEMA,
  'octopus-mqtt-in': MQTT_IN_SCHEMA,
  'octopus-parse': PARSE_SCHEMA,
  'octopus-store': STORE_SCHEMA,
  'octopus-registry': REGISTRY_SCHEMA,
  'octopus-devices': DEVICES_SCHEMA,
  'octopus-command': COMMAND_SCHEMA,
  'octopus-dashboard': DASHBOARD_SCHEMA,
  'octopus-alert': ALERT_SCHEMA,
  'octopus-notify': NOTIFY_SCHEMA,
  'octopus-automation': AUTOMATION_SCHEMA,
} as const;

export type OctopusNodeType = keyof typeof NODE_SCHEMAS;

/** The config type of each node type. */
export interface NodeConfigs {
  'octopus-broker': BrokerConfig;
  'octopus-postgres': PostgresConfig;
  'octopus-mqtt-in': MqttInConfig;
  'octopus-parse': ParseNodeConfig;
  'octopus-store': StoreConfig;
  'octopus-registry': RegistryConfig;
  'octopus-devices': DevicesConfig;
  'octopus-command': CommandConfig;
  'octopus-dashboard': DashboardConfig;
  'octopus-alert': AlertConfig;
  'octopus-notify': NotifyConfig;
  'octopus-automation': AutomationConfig;
}
