/** Default endpoints when a config node leaves them empty: the environment, then the local defaults. */
export function defaultMqttUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MQTT_URL) return env.MQTT_URL;
  return `mqtt://127.0.0.1:${env.MQTT_PORT || 1883}`;
}

export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DATABASE_URL || undefined;
}

/** Days of raw readings kept (OCTOPUS_RAW_RETENTION_DAYS, default 365); 0 keeps them all. Rollups are kept regardless. */
export function defaultRawRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.OCTOPUS_RAW_RETENTION_DAYS;
  return v === undefined || v.trim() === '' ? 365 : Number(v);
}

/**
 * Seconds between history maintenance runs (OCTOPUS_MAINTENANCE_INTERVAL_SECONDS, default 60,
 * 1 to 86 400); undefined with a sentence when the value is not such a number.
 */
export function maintenanceIntervalMs(env: NodeJS.ProcessEnv = process.env): { ms: number; problem?: string } {
  const v = env.OCTOPUS_MAINTENANCE_INTERVAL_SECONDS;
  if (v === undefined || v.trim() === '') return { ms: 60_000 };
  const seconds = Number(v);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
    return { ms: 60_000, problem: `OCTOPUS_MAINTENANCE_INTERVAL_SECONDS "${v.slice(0, 40)}" must be whole seconds from 1 to 86400; using 60` };
  }
  return { ms: seconds * 1000 };
}

const MQTT_SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

/** Returns a sentence saying what is wrong with a broker URL, or undefined when it is usable. */
export function mqttUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `broker URL "${url}" is not a URL (expected e.g. mqtt://host:1883)`;
  }
  if (!MQTT_SCHEMES.has(u.protocol)) return `broker URL scheme ${u.protocol} is not one of mqtt:, mqtts:, ws:, wss:`;
  if (!u.hostname) return `broker URL "${url}" has no host`;
  return undefined;
}

export function databaseUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'database connection string is not a URL (expected postgres://user:password@host:5432/db)';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return `database URL scheme ${u.protocol} is not postgres: or postgresql:`;
  }
  return undefined;
}
