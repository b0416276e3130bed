import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Channel secrets (webhook HMAC keys, bot tokens, SMTP URLs) sealed at rest with AES-256-GCM.
 * The key is derived (HKDF-SHA256) from the credential secret: OCTOPUS_NOTIFY_SECRET, else
 * OCTOPUS_CREDENTIAL_SECRET (the one Node-RED encrypts its credentials with), else a random secret
 * generated once and kept in the data directory beside Node-RED's own (mode 0600). A sealed value
 * is version byte 1 ‖ 12-byte IV ‖ 16-byte tag ‖ ciphertext; the user id is bound in as associated
 * data, so a sealed secret copied to another user's row does not open.
 */
export class SecretBox {
  private readonly key: Buffer;
  /** A second key for signing acknowledge links, from the same secret. */
  readonly signingKey: Buffer;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('the notification secret must be at least 16 characters');
    this.key = Buffer.from(hkdfSync('sha256', secret, 'octopus-notify', 'channel-secrets', 32));
    this.signingKey = Buffer.from(hkdfSync('sha256', secret, 'octopus-notify', 'ack-links', 32));
  }

  seal(plain: string, userId: number): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`user:${userId}`));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, userId: number): string {
    if (sealed.length < 29 || sealed[0] !== 1) throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 13));
    decipher.setAAD(Buffer.from(`user:${userId}`));
    decipher.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
  }
}

/** Where the generated secret is kept when no environment variable gives one. */
export function notifySecretFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.OCTOPUS_DATA_DIR || join(homedir(), '.node-red');
  return join(dir, 'octopus-notify.secret');
}

/**
 * The secret box of this installation: from OCTOPUS_NOTIFY_SECRET or OCTOPUS_CREDENTIAL_SECRET, else
 * the secret generated once into the data directory. Reads the file each call: the Octopus runtime
 * keeps the one it serves (`OctopusRuntime.notifySecrets`).
 */
export function secretBox(env: NodeJS.ProcessEnv = process.env): SecretBox {
  let secret = env.OCTOPUS_NOTIFY_SECRET || env.OCTOPUS_CREDENTIAL_SECRET;
  if (!secret) {
    const file = notifySecretFile(env);
    if (existsSync(file)) secret = readFileSync(file, 'utf8').trim();
    else {
      secret = randomBytes(32).toString('base64url');
      mkdirSync(dirname(file), { recursive: true });
      try {
        writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      } catch {
        secret = readFileSync(file, 'utf8').trim(); // another instance made it first
      }
    }
  }
  return new SecretBox(secret);
}

/** A short fingerprint of a secret, for showing that one is set without showing it. */
export function fingerprint(plain: string): string {
  return createHash('sha256').update(plain).digest('hex').slice(0, 8);
}
