import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mosquitto 2's password hash, `$7$<iterations>$<salt base64>$<hash base64>`: PBKDF2-HMAC-SHA512
 * with a 12-byte salt and a 64-byte key, as `mosquitto_passwd` writes it (101 iterations by default).
 * Computed here so that `npm run mqtt:users` needs no Mosquitto tools on the machine.
 */
export const MOSQUITTO_DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

export function hashPassword(password: string, options: { salt?: Buffer; iterations?: number } = {}): string {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? MOSQUITTO_DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`iterations must be a positive whole number, not ${iterations}`);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `encoded` (a `$7$` hash) is the hash of `password`; false for any other format. */
export function verifyPassword(encoded: string, password: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!m) return false;
  const iterations = Number(m[1]);
  const salt = Buffer.from(m[2], 'base64');
  const expected = Buffer.from(m[3], 'base64');
  if (iterations < 1 || expected.length === 0) return false;
  const actual = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}

/** A random password of URL-safe characters (no `:` or `@`, so it fits in an mqtt:// URL as is). */
export function randomPassword(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}
