import bcrypt from 'bcryptjs';

/** bcrypt cost: 2^11 rounds, ~0.1–0.2 s per check in pure JS; OCTOPUS_BCRYPT_COST raises it. */
export function bcryptCost(): number {
  const n = Number(process.env.OCTOPUS_BCRYPT_COST);
  return Number.isInteger(n) && n >= 10 && n <= 15 ? n : 11;
}

/** bcrypt reads only the first 72 bytes: longer passwords would be silently cut. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 12;

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `a password can have at most ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, bcryptCost());
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}

// Compared against when the user does not exist, so that an unknown name takes as long as a wrong password.
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= bcrypt.hash('no such user, no such password', bcryptCost());
  await verifyPassword(password, await dummy);
}
