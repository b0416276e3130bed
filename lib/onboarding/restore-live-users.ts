import { Pool } from 'pg';
import type { LiveBrokerUsers } from '../mqtt-auth/live-users';
import { OnboardingStore } from './onboarding-store';

/**
 * Gives the embedded broker of `npm start` back the devices and hubs added in /ui (it keeps its
 * users in memory): read from the database once the flows run, so a device reconnecting after a
 * restart is let in without waiting for anyone to open the API. The table may not exist for a few
 * moments (the database node migrates as the flows start): a few tries, a second apart.
 */
export async function restoreLiveUsers(users: LiveBrokerUsers, databaseUrl: string, log: (line: string) => void, tries = 15): Promise<number> {
  if (!users.restore) return 0;
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const clients = await new OnboardingStore(pool).activeClients();
        for (const c of clients) users.restore({ username: c.username, site: c.site, clientId: c.clientId, hash: c.passwordHash });
        return clients.length;
      } catch (err) {
        if (attempt >= tries) {
          log(`[octopus] the devices added in /ui could not be read back for the embedded broker: ${(err as Error).message}`);
          return 0;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}
