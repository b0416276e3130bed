/**
 * The one cookie Octopus sets: its name, a token of URL-safe characters, and fixed attributes.
 * Reading and writing exactly that needs no general cookie library (and the flow library's
 * scorecard counts runtime dependencies).
 */
export interface CookieAttributes {
  secure: boolean;
  /** Absent: cleared (Max-Age=0). */
  expires?: Date;
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A Set-Cookie value: httpOnly, SameSite=Lax, for the whole site. */
export function sessionSetCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/'];
  parts.push(attributes.expires ? `Expires=${attributes.expires.toUTCString()}` : 'Max-Age=0');
  parts.push('HttpOnly', 'SameSite=Lax');
  if (attributes.secure) parts.push('Secure');
  return parts.join('; ');
}
