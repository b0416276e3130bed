/**
 * The credentials file `npm run mqtt:users` appends new users' passwords to (mode 600), one
 * `username:password` a line with the time it was made, so that an operator can hand each house
 * its passwords once and then delete the file.
 */
export function credentialLines(credentials: readonly { username: string; password: string }[], at: Date): string {
  if (credentials.length === 0) return '';
  return `# made ${at.toISOString()}\n${credentials.map((c) => `${c.username}:${c.password}\n`).join('')}`;
}
