import type { IClientOptions } from 'mqtt';
import type { Node } from 'node-red';

export interface BrokerCredentials {
  username?: string;
  password?: string;
}

/** What nodes using an octopus-broker get: the resolved URL, a problem if the config is unusable, and client options. */
export interface BrokerConfigNode extends Node<BrokerCredentials> {
  brokerUrl: string;
  problem: string | undefined;
  clientOptions(clientIdSuffix: string, overrides?: IClientOptions): IClientOptions;
  /** The `$share` group name to subscribe with: tagged from the broker password so no house can join it. */
  shareGroup(group: string): string;
}
