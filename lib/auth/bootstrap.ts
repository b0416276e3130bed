import { adminFilePath, adminFromEnv, markAdminFileSeeded, readAdminFile } from './admin-account';
import type { AuthService } from './auth-service';
import { passwordProblem } from './passwords';

const REFUSED = 'a user of that name exists that Octopus did not make; it is not made an operator. Choose another name (or delete that user).';

/**
 * Makes sure the user store has its first operator, from OCTOPUS_ADMIN_USER/PASSWORD or else the
 * admin file `npm start` writes (<OCTOPUS_DATA_DIR>/admin.json). Returns a line for the log.
 * Without either and without an operator in the store, nobody can sign in until one is
 * configured: the routes stay closed rather than open. Only the account a start made is ever
 * updated (lib/auth/auth-store.ts provisionOperator): never another user who has the name.
 */
export async function bootstrapOperator(auth: AuthService, env: NodeJS.ProcessEnv = process.env): Promise<{ level: 'info' | 'warn'; message: string }> {
  const fromEnv = adminFromEnv(env);
  if (fromEnv) {
    const weak = passwordProblem(fromEnv.password);
    if (weak) return { level: 'warn', message: `OCTOPUS_ADMIN_PASSWORD refused (${weak}): operator "${fromEnv.username}" not set up` };
    const done = await auth.ensureOperator(fromEnv.username, { password: fromEnv.password });
    if (done === 'refused') return { level: 'warn', message: `operator "${fromEnv.username}" from OCTOPUS_ADMIN_USER: ${REFUSED}` };
    return { level: 'info', message: `operator "${fromEnv.username}" from OCTOPUS_ADMIN_USER: ${done}` };
  }
  const path = env.OCTOPUS_DATA_DIR ? adminFilePath(env.OCTOPUS_DATA_DIR) : undefined;
  const file = path ? readAdminFile(path) : undefined;
  if (path && file) {
    const done = await auth.ensureOperator(file.username, { passwordHash: file.passwordHash });
    if (done === 'refused') return { level: 'warn', message: `operator "${file.username}" from the admin file: ${REFUSED}` };
    // The store has (or had) the account now: from here on its password wins, in the editor too.
    const marked = file.seededAt ? undefined : markAdminFileSeeded(path, file);
    const note = marked ? ` (could not mark ${path} as seeded: ${marked})` : '';
    if (done === 'retired') return { level: 'info', message: `operator "${file.username}" from the admin file was deleted since it was made; the file seeds only once${note}` };
    return { level: 'info', message: `operator "${file.username}" from the admin file: ${done}${note}` };
  }
  if ((await auth.store.countOperators()) > 0) return { level: 'info', message: 'operators found in the user store' };
  return {
    level: 'warn',
    message:
      'no operator account: /ui and /api/v1 refuse everyone until one exists. Create it in the Node-RED editor ' +
      '(open the live dashboard node, "Operator account"), or set OCTOPUS_ADMIN_USER and OCTOPUS_ADMIN_PASSWORD and restart.',
  };
}
