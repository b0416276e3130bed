import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

/**
 * An in-process MQTT broker (aedes) for running Octopus without Mosquitto. Like the project's
 * Mosquitto config, it keeps queued messages for persistent sessions without a low cap, so a
 * paused consumer does not make it drop them.
 */
export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker({ queueLimit: 100000, concurrency: 1000, maxClientsIdLength: 256 });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `mqtt://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close(() => undefined);
      }),
  };
}
