/**
 * Mosquitto's password file: one `username:hash` a line. Parsing keeps the users' order, and
 * refuses lines it cannot read rather than dropping them (a dropped line is a locked-out user).
 */
export type PasswordEntries = Map<string, string>;

export function parsePasswordFile(text: string): PasswordEntries {
  const entries: PasswordEntries = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1) throw new Error(`password file line ${i + 1} is not username:hash`);
    const user = line.slice(0, colon);
    if (entries.has(user)) throw new Error(`password file line ${i + 1}: user ${user} appears twice`);
    entries.set(user, line.slice(colon + 1));
  });
  return entries;
}

export function renderPasswordFile(entries: PasswordEntries): string {
  return [...entries].map(([user, hash]) => `${user}:${hash}\n`).join('');
}
