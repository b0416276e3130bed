/**
 * Bounds on what one message may produce. A device can publish a 64 KB object of 7 000 keys that
 * are not attribute names: each would be its own reject, and downstream its own dead letter
 * carrying the whole payload (issue #15). The parser keeps the first rejects with their reasons and
 * counts the rest by code, so a message costs the same to report whatever it holds.
 */
import type { ParseResult, RejectCode } from '../model/reading';

/** Rejects listed per message; the others are counted in `omittedRejects`. */
export const MAX_REJECTS_PER_MESSAGE = 20;

/** Caps `result.rejects` at MAX_REJECTS_PER_MESSAGE, counting the rest by code. Mutates and returns `result`. */
export function boundRejects(result: ParseResult): ParseResult {
  const rejects = result.rejects;
  if (rejects.length <= MAX_REJECTS_PER_MESSAGE) return result;
  const omitted: Partial<Record<RejectCode, number>> = { ...result.omittedRejects };
  for (let i = MAX_REJECTS_PER_MESSAGE; i < rejects.length; i++) {
    const code = rejects[i].code;
    omitted[code] = (omitted[code] ?? 0) + 1;
  }
  rejects.length = MAX_REJECTS_PER_MESSAGE;
  result.omittedRejects = omitted;
  return result;
}

/** How many rejects a result stands for: those listed and those only counted. */
export function rejectTotal(result: Pick<ParseResult, 'rejects' | 'omittedRejects'>): number {
  let n = result.rejects.length;
  if (result.omittedRejects) for (const k of Object.values(result.omittedRejects)) n += k ?? 0;
  return n;
}
