import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
}

let cached: TestCa | undefined;

/**
 * A throwaway certificate authority made with openssl, and a server certificate it signed for
 * 127.0.0.1 and localhost (EC keys: fast to make). One per test process.
 */
export function testCa(): TestCa {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'octopus-ca-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  openssl('req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', '2', '-subj', '/CN=Octopus test CA', '-out', f('ca.crt'));
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('server.key'));
  openssl('req', '-new', '-key', f('server.key'), '-subj', '/CN=localhost', '-out', f('server.csr'));
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-sha256', '-extfile', f('server.ext'), '-out', f('server.crt'));
  cached = { dir, caCert: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key') };
  return cached;
}
