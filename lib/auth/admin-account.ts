import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hashPassword } from './passwords';
import { randomPassword } from './tokens';

/**
 * The first operator account, for the editor (Node-RED adminAuth) and the web user store:
 *  - OCTOPUS_ADMIN_USER + OCTOPUS_ADMIN_PASSWORD, when both are set (deployments, tests);
 *  - else the admin file <data dir>/admin.json, which `npm start` creates on first start with a
 *    random password: only the bcrypt hash is written, the password is printed once.
 * Nothing here ships a password: without either, there is no operator and nobody gets in.
 */
export const ADMIN_FILE = 'admin.json';

export interface AdminFromEnv {
  username: string;
  password: string;
}

export interface AdminFile {
  username: string;
  passwordHash: string;
  /**
   * When the user store got the account: from then on the store's password wins and the file's
   * hash opens nothing (not even the editor while the store is down).
   */
  seededAt?: string;
}

export function adminFromEnv(env: NodeJS.ProcessEnv = process.env): AdminFromEnv | undefined {
  const username = env.OCTOPUS_ADMIN_USER?.trim();
  const password = env.OCTOPUS_ADMIN_PASSWORD;
  return username && password ? { username, password } : undefined;
}

export function adminFilePath(dataDir: string): string {
  return join(dataDir, ADMIN_FILE);
}

export function readAdminFile(path: string): AdminFile | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<AdminFile>;
  if (typeof parsed.username !== 'string' || typeof parsed.passwordHash !== 'string' || !/^\$2[aby]\$\d\d\$/.test(parsed.passwordHash)) {
    throw new Error(`${path} is not an admin file (expected {"username", "passwordHash": "<bcrypt>"})`);
  }
  return { username: parsed.username, passwordHash: parsed.passwordHash, ...(typeof parsed.seededAt === 'string' ? { seededAt: parsed.seededAt } : {}) };
}

/** Records in the admin file that the user store has its account; answers the error, if any. */
export function markAdminFileSeeded(path: string, file: AdminFile): string | undefined {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify({ ...file, seededAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
    return undefined;
  } catch (err) {
    rmSync(temporary, { force: true });
    return (err as Error).message;
  }
}

/**
 * For `npm start` without OCTOPUS_ADMIN_*: the admin file, made now if missing. Returns the
 * generated password only when it was just made (to print once); it is not kept anywhere.
 */
export async function ensureAdminFile(dataDir: string, username = 'admin'): Promise<{ file: AdminFile; path: string; newPassword?: string }> {
  const path = adminFilePath(dataDir);
  const existing = readAdminFile(path);
  if (existing) return { file: existing, path };
  const password = randomPassword();
  const file: AdminFile = { username, passwordHash: await hashPassword(password) };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { file, path, newPassword: password };
}
