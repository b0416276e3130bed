/**
 * The broker URL and credentials the app connects with: `mqtt://user:pass@host:port` in MQTT_URL,
 * or MQTT_USERNAME / MQTT_PASSWORD beside a plain URL (these win when both are given). The URL
 * handed on has no credentials in it, so it can be logged and shown in node status.
 */
export interface BrokerCredentials {
  url: string;
  username?: string;
  password?: string;
}

export function brokerCredentials(url: string, env: NodeJS.ProcessEnv = process.env): BrokerCredentials {
  let username: string | undefined;
  let password: string | undefined;
  let plain = url;
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      username = decodeURIComponent(u.username) || undefined;
      password = decodeURIComponent(u.password) || undefined;
      u.username = '';
      u.password = '';
      plain = u.toString().replace(/\/$/, '');
    }
  } catch {
    // Not a URL: left as is for the caller's own check (mqttUrlProblem) to report.
  }
  if (env.MQTT_USERNAME) username = env.MQTT_USERNAME;
  if (env.MQTT_PASSWORD) password = env.MQTT_PASSWORD;
  return { url: plain, username, password };
}

/** The URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
