import { DEFAULT_MAX_PAYLOAD_BYTES } from '../model/reading';
import { DEFAULT_MAX_LEVEL_BYTES } from '../parser/house';
import { DEFAULT_HOUSE_LIMITS } from '../registry/house-limits';
import type { OctopusNodeType } from './node-schemas';

/**
 * Versions of the Octopus nodes' properties, and the steps that bring a config saved by an older
 * Octopus to the current one. Pure: no Node-RED.
 *
 * A node's config carries `configVersion` (the editor's default for a new node is the current
 * version; a config without one was saved before versions existed: version 0). When a node's
 * properties change (a property renamed, split, its unit or its default changed), its version goes
 * up by one and a step from the previous version is added here; the step gets the config as saved
 * and returns it as the new version reads it. Steps never touch what they do not know, so the
 * properties Node-RED adds (id, type, z, wires…) pass through.
 */
export type SavedConfig = Record<string, unknown>;

export interface MigrationStep {
  /** The version this step reads; it writes `from + 1`. */
  from: number;
  /** What changed, for the log line. */
  what: string;
  migrate(config: SavedConfig): SavedConfig;
}

/**
 * Version 1 (the first with a version) makes explicit what an absent property meant before: the
 * value the node used when the property was missing. Not always the editor's default for a new
 * node (an alert node without `repeatS` never repeated, while a new one repeats hourly), which is
 * why a later change of a default needs this: an old flow keeps what it did.
 */
const MEANT_WHEN_ABSENT: Record<OctopusNodeType, SavedConfig> = {
  'octopus-broker': { url: '', clientId: '', keepalive: 30, tlsRejectUnauthorized: true, tlsCaFile: '', tlsCertFile: '', tlsKeyFile: '' },
  'octopus-postgres': { poolSize: 4, rawRetentionDays: '' },
  'octopus-mqtt-in': { broker: '', topics: '', qos: 1, ackMode: 'after-store', maxInFlight: 10000, sharedGroup: '', output: 'single' },
  'octopus-parse': {
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    profiles: '',
    site: 'home',
    maxLevelBytes: DEFAULT_MAX_LEVEL_BYTES,
    maxDevicesPerSite: DEFAULT_HOUSE_LIMITS.maxDevicesPerSite,
    maxAttributesPerDevice: DEFAULT_HOUSE_LIMITS.maxAttributesPerDevice,
    templates: '',
    tasmotaFullTopic: '',
    tasmotaPrefixes: '',
  },
  'octopus-store': { database: '', batchSize: 1000, batchWaitMs: 100 },
  'octopus-registry': {
    database: '',
    broker: '',
    commandTimeoutS: 10,
    staleAfterIntervals: 3,
    offlineAfterIntervals: 10,
    defaultIntervalS: 300,
    maxDevicesPerSite: DEFAULT_HOUSE_LIMITS.maxDevicesPerSite,
    maxAttributesPerDevice: DEFAULT_HOUSE_LIMITS.maxAttributesPerDevice,
  },
  'octopus-devices': { registry: '', events: 'device-added,attribute-added,online,stale,offline,metadata-changed,device-removed' },
  'octopus-command': { registry: '', timeoutS: '' },
  'octopus-dashboard': { path: '/ui', registry: '' },
  'octopus-alert': { database: '', broker: '', topicPrefix: 'octopus', rules: '[]', repeatS: 0, quietHours: '' },
  // A notify node without a site needed msg.site; without a severity, a message was info.
  'octopus-notify': { database: '', site: '', severity: 'info' },
  // An automation node without a site followed every site.
  'octopus-automation': { registry: '', site: '' },
};

function fillAbsent(type: OctopusNodeType): MigrationStep {
  return {
    from: 0,
    what: 'absent properties set to what they meant',
    migrate: (config) => {
      const out: SavedConfig = { ...config };
      for (const [key, value] of Object.entries(MEANT_WHEN_ABSENT[type])) if (out[key] === undefined) out[key] = value;
      return out;
    },
  };
}

/** Each node type's steps, oldest first; the current version is the last step's `from + 1`. */
export const MIGRATIONS: Record<OctopusNodeType, readonly MigrationStep[]> = {
  'octopus-broker': [fillAbsent('octopus-broker')],
  'octopus-postgres': [fillAbsent('octopus-postgres')],
  'octopus-mqtt-in': [fillAbsent('octopus-mqtt-in')],
  'octopus-parse': [fillAbsent('octopus-parse')],
  'octopus-store': [fillAbsent('octopus-store')],
  'octopus-registry': [fillAbsent('octopus-registry')],
  'octopus-devices': [fillAbsent('octopus-devices')],
  'octopus-command': [fillAbsent('octopus-command')],
  'octopus-dashboard': [fillAbsent('octopus-dashboard')],
  'octopus-alert': [fillAbsent('octopus-alert')],
  'octopus-notify': [fillAbsent('octopus-notify')],
  'octopus-automation': [fillAbsent('octopus-automation')],
};

/** The version a config saved now carries (the editor's default for `configVersion`). */
export function currentVersion(steps: readonly MigrationStep[]): number {
  return steps.length === 0 ? 0 : steps[steps.length - 1].from + 1;
}

export type Migrated =
  | { ok: true; config: SavedConfig; from: number; to: number; applied: string[]; newer?: undefined }
  | { ok: true; config: SavedConfig; from: number; to: number; applied: []; newer: true }
  | { ok: false; problem: string };

/**
 * The config as the current version reads it. A version that is not a whole number is a problem; a
 * version newer than this Octopus knows (a flow saved by a newer one) is read as it is and said so.
 */
export function migrateConfig(saved: SavedConfig, steps: readonly MigrationStep[]): Migrated {
  const raw = saved.configVersion;
  const version = raw === undefined || raw === '' ? 0 : typeof raw === 'string' && /^\d{1,6}$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    return { ok: false, problem: `configVersion ${JSON.stringify(raw)} is not a version (a whole number, 0 or more)` };
  }
  const current = currentVersion(steps);
  if (version > current) return { ok: true, config: { ...saved, configVersion: version }, from: version, to: current, applied: [], newer: true };
  let config: SavedConfig = { ...saved };
  const applied: string[] = [];
  for (const step of steps) {
    if (step.from < version) continue;
    config = step.migrate(config);
    applied.push(`${step.from}→${step.from + 1}: ${step.what}`);
  }
  config.configVersion = current;
  return { ok: true, config, from: version, to: current, applied };
}
