import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions } from 'mqtt';
import { Client } from 'pg';
import { redactConnectionString } from '../db/database';
import { ingestClientId } from '../mqtt-auth/client-id';
import { databaseUrlProblem, mqttUrlProblem } from './env-config';

/**
 * The config nodes' "Test connection" buttons: one connection, made and closed, with a short time
 * limit, answering a sentence either way. Nothing is kept; the answer never repeats a password.
 */
export type ConnectionTestResult = { ok: true; message: string } | { ok: false; error: string };

export const CONNECTION_TEST_TIMEOUT_MS = 5000;

export interface BrokerTarget {
  /** Without credentials (see brokerCredentials). */
  url: string;
  username?: string;
  password?: string;
  tls?: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
}

function withoutSecret(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}

export async function testBrokerConnection(target: BrokerTarget, timeoutMs = CONNECTION_TEST_TIMEOUT_MS): Promise<ConnectionTestResult> {
  const problem = mqttUrlProblem(target.url);
  if (problem) return { ok: false, error: problem };
  const clientId = ingestClientId(`octopus-test-${randomBytes(4).toString('hex')}`, target.password);
  const client = connect(target.url, {
    clientId,
    clean: true,
    username: target.username,
    password: target.password,
    connectTimeout: timeoutMs,
    reconnectPeriod: 0,
    log: () => undefined,
    ...target.tls,
  });
  // One attempt: connected, or the first of an error, a close (refused, closed by the broker) or the time limit.
  const outcome = await new Promise<Error | undefined>((resolve) => {
    let lastError: Error | undefined;
    const timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    client.on('connect', () => (clearTimeout(timer), resolve(undefined)));
    const remember = (err: Error) => (lastError ??= err);
    client.on('error', remember);
    // The socket's own error (ECONNREFUSED, ENOTFOUND) can reach the client after its close.
    (client as unknown as { stream?: NodeJS.EventEmitter }).stream?.on('error', remember);
    client.on('close', () => {
      clearTimeout(timer);
      setTimeout(() => resolve(lastError ?? new Error('the connection was closed before the broker accepted it')), 20);
    });
  });
  await client.endAsync(true).catch(() => undefined);
  if (!outcome) return { ok: true, message: `connected to ${target.url}${target.username ? ` as ${target.username}` : ''}` };
  return { ok: false, error: `${target.url}: ${withoutSecret(outcome.message, target.password)}` };
}

export async function testDatabaseConnection(connectionString: string, timeoutMs = CONNECTION_TEST_TIMEOUT_MS): Promise<ConnectionTestResult> {
  const problem = databaseUrlProblem(connectionString);
  if (problem) return { ok: false, error: problem };
  const where = redactConnectionString(connectionString);
  const client = new Client({ connectionString, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, application_name: 'octopus-connection-test' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string; database: string }>("select current_setting('server_version') as version, current_database() as database");
    return { ok: true, message: `connected to ${where}: PostgreSQL ${rows[0].version}, database ${rows[0].database}` };
  } catch (err) {
    let password: string | undefined;
    try {
      password = decodeURIComponent(new URL(connectionString).password) || undefined;
    } catch {
      password = undefined;
    }
    return { ok: false, error: `${where}: ${withoutSecret((err as Error).message, password)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}
