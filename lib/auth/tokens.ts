import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets handed to clients. Only their SHA-256 is stored: they are 256 random bits, so a plain
 * hash is enough (no salt or slow hash needed, unlike passwords), and lookups stay one index hit.
 *
 *   session token   43 base64url characters, in the `octopus_session` cookie
 *   API token       `octo_` + 43 base64url characters, sent as `Authorization: Bearer …`
 *   CSRF token      43 base64url characters, sent back in the `X-CSRF-Token` header
 */
export const API_TOKEN_PREFIX = 'octo_';
export const API_TOKEN_PATTERN = /^octo_[A-Za-z0-9_-]{43}$/;
const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function secret(): string {
  return randomBytes(32).toString('base64url');
}

export function newSessionToken(): string {
  return secret();
}

export function newCsrfToken(): string {
  return secret();
}

export function newApiToken(): string {
  return API_TOKEN_PREFIX + secret();
}

export function isApiToken(s: string): boolean {
  return API_TOKEN_PATTERN.test(s);
}

export function isSessionToken(s: string): boolean {
  return SESSION_TOKEN_PATTERN.test(s);
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of two strings (a CSRF token against the session's). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A readable random password for first-start accounts: 24 characters, ~143 bits. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
