import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports';

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones: the link is cut. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP forwarder between the app and a server, so a test can cut and restore the link. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let linkUp = true;
  const server: Server = createServer((inbound) => {
    if (!linkUp) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection(targetPort, targetHost);
    sockets.add(inbound);
    sockets.add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    cut() {
      linkUp = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      linkUp = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
