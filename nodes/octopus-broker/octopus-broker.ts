import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { IClientOptions } from 'mqtt';
import type { NodeAPI, NodeDef } from 'node-red';
import { brokerCredentials } from '../../lib/mqtt-auth/broker-credentials';
import { ingestClientId, ingestShareGroup } from '../../lib/mqtt-auth/client-id';
import { defaultMqttUrl, mqttUrlProblem } from '../../lib/util/env-config';
import type { BrokerConfigNode, BrokerCredentials } from './types';

interface BrokerNodeDef extends NodeDef {
  url: string;
  clientId: string;
  keepalive: string | number;
  tlsRejectUnauthorized: boolean;
  tlsCaFile: string;
  tlsCertFile: string;
  tlsKeyFile: string;
}

export = function register(RED: NodeAPI): void {
  function OctopusBrokerNode(this: BrokerConfigNode, def: BrokerNodeDef) {
    RED.nodes.createNode(this, def);
    // Credentials may ride in the URL (mqtt://user:pass@host) or come from MQTT_USERNAME /
    // MQTT_PASSWORD when the URL is the environment's; the node's own credentials win over both.
    const configured = (def.url || '').trim();
    const fromUrl = brokerCredentials(configured || defaultMqttUrl(), configured ? {} : process.env);
    this.brokerUrl = fromUrl.url;
    this.problem = mqttUrlProblem(this.brokerUrl);
    const keepalive = Number(def.keepalive) || 30;
    if (!this.problem && (keepalive < 5 || keepalive > 3600)) this.problem = `keepalive ${keepalive} s is outside 5–3600 s`;

    const tls: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> = {
      rejectUnauthorized: def.tlsRejectUnauthorized !== false,
    };
    try {
      // A private CA for an mqtts:// MQTT_URL comes from MQTT_CA_FILE when the node names none.
      const caFile = def.tlsCaFile || (configured ? '' : process.env.MQTT_CA_FILE || '');
      if (caFile) tls.ca = readFileSync(caFile);
      if (def.tlsCertFile) tls.cert = readFileSync(def.tlsCertFile);
      if (def.tlsKeyFile) tls.key = readFileSync(def.tlsKeyFile);
    } catch (err) {
      this.problem ??= `cannot read TLS file: ${(err as Error).message}`;
    }
    if (this.problem) this.error(`octopus-broker: ${this.problem}`);

    // A stable client id gives a persistent session: the broker keeps what was not acknowledged.
    // It must also differ between Node-RED instances running the same flow (scale-out), hence the
    // user directory in the default.
    const userDir = String((RED.settings as unknown as { userDir?: string }).userDir ?? '');
    const instance = createHash('sha256').update(`${hostname()}|${userDir}`).digest('hex').slice(0, 8);
    const username = this.credentials?.username || fromUrl.username;
    const password = this.credentials?.password || fromUrl.password;
    const baseId = (def.clientId || '').trim() || process.env.OCTOPUS_CLIENT_ID || `octopus-${instance}-${this.id}`;
    this.clientOptions = (suffix, overrides = {}) => ({
      clientId: ingestClientId(suffix ? `${baseId}-${suffix}` : baseId, password),
      username,
      password,
      keepalive,
      reconnectPeriod: 1000,
      connectTimeout: 10000,
      ...tls,
      ...overrides,
    });
    this.shareGroup = (group) => ingestShareGroup(group, password);
  }

  RED.nodes.registerType<BrokerConfigNode, BrokerNodeDef, object, BrokerCredentials>('octopus-broker', OctopusBrokerNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
