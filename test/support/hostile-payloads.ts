/** Payloads a hostile device sends (issue #15), shared by the parser's unit tests and the app tests. */

/** `{"/aaa":0,"/aab":0,…}`: `n` keys that cannot be attribute names, about 9 bytes each (7 000 ≈ 63 KB, under the 64 KiB limit). */
export function keyFlood(n: number, extra = ''): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = String.fromCharCode(97 + (i % 26));
    const b = String.fromCharCode(97 + (Math.floor(i / 26) % 26));
    const c = String.fromCharCode(97 + (Math.floor(i / 676) % 26));
    parts.push(`"/${c}${b}${a}":0`);
  }
  return `{${extra}${parts.join(',')}}`;
}

/** `{"a":{"a":…1…}}` nested `levels` objects deep (10 000 levels ≈ 50 KB), or as arrays `[[…]]`. */
export function deepJson(levels: number, kind: 'object' | 'array' = 'object'): string {
  return kind === 'object' ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}` : `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/** Byte sequences that are not UTF-8: a lone continuation byte, an overlong encoding, a surrogate, a cut sequence, 0xff. */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xff, 0xfe, 0x32, 0x31]),
  Buffer.concat([Buffer.from('{"temperature":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
];
