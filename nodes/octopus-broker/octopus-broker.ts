import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { IClientOptions } from 'mqtt';
import type { NodeAPI, NodeDef } from 'node-red';
import { tryReadJsonBody } from '../../lib/api/http';
import { brokerCredentials } from '../../lib/mqtt-auth/broker-credentials';
import { ingestClientId, ingestShareGroup } from '../../lib/mqtt-auth/client-id';
import { readNodeConfig } from '../../lib/node-config/node-config';
import type { BrokerConfig } from '../../lib/node-config/node-schemas';
import { testBrokerConnection, type BrokerTarget } from '../../lib/util/connection-test';
import { defaultMqttUrl, mqttUrlProblem } from '../../lib/util/env-config';
import type { BrokerConfigNode, BrokerCredentials } from './types';

type BrokerSettings = Pick<BrokerConfig, 'url' | 'tlsRejectUnauthorized' | 'tlsCaFile' | 'tlsCertFile' | 'tlsKeyFile'>;

/**
 * Where and as whom to connect. Credentials may ride in the URL (mqtt://user:pass@host) or come
 * from MQTT_USERNAME / MQTT_PASSWORD when the URL is the environment's; the node's own credentials
 * win over both. A private CA for an mqtts:// MQTT_URL comes from MQTT_CA_FILE when the node names none.
 */
function brokerTarget(def: BrokerSettings, credentials: BrokerCredentials | undefined): BrokerTarget & { problem?: string } {
  const configured = (def.url || '').trim();
  const fromUrl = brokerCredentials(configured || defaultMqttUrl(), configured ? {} : process.env);
  const tls: NonNullable<BrokerTarget['tls']> = { rejectUnauthorized: def.tlsRejectUnauthorized !== false };
  let problem = mqttUrlProblem(fromUrl.url);
  try {
    const caFile = def.tlsCaFile || (configured ? '' : process.env.MQTT_CA_FILE || '');
    if (caFile) tls.ca = readFileSync(caFile);
    if (def.tlsCertFile) tls.cert = readFileSync(def.tlsCertFile);
    if (def.tlsKeyFile) tls.key = readFileSync(def.tlsKeyFile);
  } catch (err) {
    problem ??= `cannot read TLS file: ${(err as Error).message}`;
  }
  return { url: fromUrl.url, username: credentials?.username || fromUrl.username, password: credentials?.password || fromUrl.password, tls, problem };
}

export = function register(RED: NodeAPI): void {
  // "Test connection" in the edit dialog: the values typed there, the stored password when the
  // field still shows the placeholder. An editor right (write on this node type) is needed.
  RED.httpAdmin.post('/octopus-broker/test', RED.auth.needsPermission('octopus-broker.write'), (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await tryReadJsonBody(req, 16 * 1024);
      const v = (body.ok ? body.value ?? {} : {}) as Partial<BrokerSettings> & { id?: string; username?: string; password?: string };
      const stored = typeof v.id === 'string' ? (RED.nodes.getCredentials(v.id) as BrokerCredentials | undefined) : undefined;
      const password = v.password === '__PWRD__' ? stored?.password : v.password;
      const target = brokerTarget(
        { url: String(v.url ?? ''), tlsRejectUnauthorized: v.tlsRejectUnauthorized !== false, tlsCaFile: String(v.tlsCaFile ?? ''), tlsCertFile: String(v.tlsCertFile ?? ''), tlsKeyFile: String(v.tlsKeyFile ?? '') },
        { username: typeof v.username === 'string' ? v.username : undefined, password: typeof password === 'string' ? password : undefined },
      );
      const answer = !body.ok ? { ok: false, error: body.error } : target.problem ? { ok: false, error: target.problem } : await testBrokerConnection(target);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(answer));
    })();
  });

  function OctopusBrokerNode(this: BrokerConfigNode, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    const read = readNodeConfig('octopus-broker', saved);
    if (!read.ok) {
      this.brokerUrl = '';
      this.problem = read.problem;
      this.error(`octopus-broker: ${this.problem}`);
      return;
    }
    if (read.note) this.log(read.note);
    const def = read.config;
    const target = brokerTarget(def, this.credentials);
    this.brokerUrl = target.url;
    this.problem = target.problem;
    const keepalive = Number(def.keepalive) || 30;
    if (!this.problem && (keepalive < 5 || keepalive > 3600)) this.problem = `keepalive ${keepalive} s is outside 5–3600 s`;
    if (this.problem) this.error(`octopus-broker: ${this.problem}`);

    // A stable client id gives a persistent session: the broker keeps what was not acknowledged.
    // It must also differ between Node-RED instances running the same flow (scale-out), hence the
    // user directory in the default.
    const userDir = String((RED.settings as unknown as { userDir?: string }).userDir ?? '');
    const instance = createHash('sha256').update(`${hostname()}|${userDir}`).digest('hex').slice(0, 8);
    const { username, password } = target;
    const baseId = (def.clientId || '').trim() || process.env.OCTOPUS_CLIENT_ID || `octopus-${instance}-${this.id}`;
    this.clientOptions = (suffix, overrides: IClientOptions = {}) => ({
      clientId: ingestClientId(suffix ? `${baseId}-${suffix}` : baseId, password),
      username,
      password,
      keepalive,
      reconnectPeriod: 1000,
      connectTimeout: 10000,
      ...target.tls,
      ...overrides,
    });
    this.shareGroup = (group) => ingestShareGroup(group, password);
  }

  RED.nodes.registerType<BrokerConfigNode, NodeDef, object, BrokerCredentials>('octopus-broker', OctopusBrokerNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
    // The editor flags a broker left without a URL when the runtime has no MQTT_URL to fall back on.
    settings: {
      octopusBrokerEnvUrl: { value: process.env.MQTT_URL ? 'MQTT_URL' : '', exportable: true },
    },
  } as Parameters<typeof RED.nodes.registerType>[2]);
};
