import { adminFilePath, adminFromEnv, readAdminFile } from './admin-account';
import type { AuthService } from './auth-service';
import { passwordProblem } from './passwords';

/**
 * Makes sure the user store has its first operator, from OCTOPUS_ADMIN_USER/PASSWORD or else the
 * admin file `npm start` writes (<OCTOPUS_DATA_DIR>/admin.json). Returns a line for the log.
 * Without either and without an operator in the store, nobody can sign in until one is
 * configured: the routes stay closed rather than open.
 */
export async function bootstrapOperator(auth: AuthService, env: NodeJS.ProcessEnv = process.env): Promise<{ level: 'info' | 'warn'; message: string }> {
  const fromEnv = adminFromEnv(env);
  if (fromEnv) {
    const weak = passwordProblem(fromEnv.password);
    if (weak) return { level: 'warn', message: `OCTOPUS_ADMIN_PASSWORD refused (${weak}): operator "${fromEnv.username}" not set up` };
    const done = await auth.ensureOperator(fromEnv.username, { password: fromEnv.password });
    return { level: 'info', message: `operator "${fromEnv.username}" from OCTOPUS_ADMIN_USER: ${done}` };
  }
  const file = env.OCTOPUS_DATA_DIR ? readAdminFile(adminFilePath(env.OCTOPUS_DATA_DIR)) : undefined;
  if (file) {
    const done = await auth.ensureOperator(file.username, { passwordHash: file.passwordHash });
    return { level: 'info', message: `operator "${file.username}" from the admin file: ${done}` };
  }
  if ((await auth.store.countOperators()) > 0) return { level: 'info', message: 'operators found in the user store' };
  return {
    level: 'warn',
    message: 'no operator account: /ui and /api/v1 refuse everyone until one exists. Set OCTOPUS_ADMIN_USER and OCTOPUS_ADMIN_PASSWORD and restart.',
  };
}
