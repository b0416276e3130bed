import { brokerCredentials } from '../mqtt-auth/broker-credentials';
import { DynsecAdmin } from '../mqtt-auth/dynsec-admin';
import type { LiveBrokerUsers } from '../mqtt-auth/live-users';
import { readFileSync } from 'node:fs';
import { brokerAddressFromEnv } from './firmware-config';
import { OnboardingService } from './onboarding-service';
import type { RecentRejects } from './recent-rejects';

/**
 * The onboarding service of one Octopus runtime (`OctopusRuntime.onboarding`). It finds the
 * broker's live users this way: the embedded broker of `npm start` provides its in-process table
 * (`localUsers`); otherwise, with OCTOPUS_MQTT_ADMIN_USER and OCTOPUS_MQTT_ADMIN_PASSWORD set,
 * Node-RED logs in to Mosquitto (MQTT_URL's host) as the dynamic security plugin's admin client on
 * first use, and keeps that connection.
 */
export function makeOnboarding(env: NodeJS.ProcessEnv, localUsers: () => LiveBrokerUsers | undefined, rejects: RecentRejects): OnboardingService {
  let dynsec: Promise<DynsecAdmin> | undefined;
  const brokerUsers = async (): Promise<LiveBrokerUsers | undefined> => {
    const inProcess = localUsers();
    if (inProcess) return inProcess;
    if (!env.OCTOPUS_MQTT_ADMIN_USER || !env.OCTOPUS_MQTT_ADMIN_PASSWORD || !env.MQTT_URL) return undefined;
    dynsec ??= DynsecAdmin.connect(brokerCredentials(env.MQTT_URL, {}).url, {
      username: env.OCTOPUS_MQTT_ADMIN_USER,
      password: env.OCTOPUS_MQTT_ADMIN_PASSWORD,
      clientId: `octopus-dynsec-admin-${process.pid}`,
      // An mqtts:// broker with a private CA: the same CA file Node-RED's broker node trusts.
      ...(env.MQTT_CA_FILE ? { ca: readFileSync(env.MQTT_CA_FILE) } : {}),
    });
    try {
      return await dynsec;
    } catch (err) {
      dynsec = undefined;
      throw err;
    }
  };
  return new OnboardingService({
    brokerUsers,
    localUsers,
    rejects,
    brokerAddress: (requestHost) => brokerAddressFromEnv(env, env.MQTT_URL, requestHost),
    hub: (requestHost) => {
      const address = brokerAddressFromEnv(env, env.MQTT_URL, requestHost);
      return { central: env.OCTOPUS_HUB_CENTRAL || `${address.host}:${address.tlsPort ?? 8883}`, caCert: caCert(env) };
    },
  });
}

function caCert(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.OCTOPUS_MQTT_CA_FILE) return undefined;
  try {
    return readFileSync(env.OCTOPUS_MQTT_CA_FILE, 'utf8').slice(0, 64 * 1024);
  } catch {
    return undefined;
  }
}
