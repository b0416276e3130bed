export { prng } from '../../lib/simulation/fleet';

/**
 * One seeded mutation of a payload, as the fuzz tests apply them: flip a few bytes, truncate,
 * replace with random bytes, splice in a troublesome piece of text, or leave it as it is.
 */
export function mutatePayload(seed: Buffer, rand: () => number, inserts: readonly string[], maxRandomLength = 60): Buffer {
  const mode = rand();
  if (mode < 0.25) {
    const bytes = Buffer.from(seed);
    for (let k = 0, n = 1 + Math.floor(rand() * 4); k < n; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    return bytes;
  }
  if (mode < 0.45) return seed.subarray(0, Math.floor(rand() * seed.length));
  if (mode < 0.55) return Buffer.from(Array.from({ length: Math.floor(rand() * maxRandomLength) }, () => Math.floor(rand() * 256)));
  if (mode < 0.7) {
    const at = Math.floor(rand() * seed.length);
    return Buffer.concat([seed.subarray(0, at), Buffer.from(inserts[Math.floor(rand() * inserts.length)]), seed.subarray(at)]);
  }
  return seed;
}
