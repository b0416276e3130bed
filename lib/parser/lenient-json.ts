/**
 * JSON as Tasmota writes it: a failed sensor's value is a bare `nan` (arendst/Tasmota#4147), which
 * JSON.parse refuses for the whole payload. Split from profiles/common.ts. Pure, no Node-RED import.
 */
import { type JsonOutcome, parseJson } from './parse-kit';
import { isNonFiniteWord } from './parse-values';

/** Marks a bare `nan`/`inf` that lenientJson replaced: a string no firmware sends. */
export const NON_FINITE_MARK = '\u0000non-finite:';
const BARE_NON_FINITE = /nan|inf/i;

/**
 * JSON.parse that also reads Tasmota's bare `nan` / `inf` (e.g. `{"DHT11":{"Temperature":nan}}`,
 * arendst/Tasmota#4147): each is replaced by a marker string so that its attribute is refused as
 * not finite while the valid values of the same payload still come through. Anything else that is
 * not JSON stays a `payload-invalid-json` reject.
 */
export function lenientJson(text: string): JsonOutcome {
  const first = parseJson(text);
  if (first.ok || !BARE_NON_FINITE.test(text)) return first;
  const repaired = replaceBareNonFinite(text);
  if (repaired !== undefined) {
    // parseJson again: the repaired text is bounded like the original (nesting), else the original reason stands
    const second = parseJson(repaired);
    if (second.ok) return second;
  }
  return first;
}

/** Replaces bare nan/inf tokens outside strings by a marker string; undefined when there is none. */
function replaceBareNonFinite(text: string): string | undefined {
  let out = '';
  let from = 0;
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c === 0x6e || c === 0x4e || c === 0x69 || c === 0x49 || c === 0x2d) {
      // n N i I -: a token starts; read letters (and one leading minus)
      let j = i + (c === 0x2d ? 1 : 0);
      while (j < text.length && /[A-Za-z]/.test(text[j])) j++;
      const word = text.slice(i, j);
      if (j > i + 1 && isNonFiniteWord(word)) {
        out += `${text.slice(from, i)}"${JSON.stringify(NON_FINITE_MARK + word).slice(1)}`;
        from = j;
        found = true;
      }
      i = j - 1;
    }
  }
  return found ? out + text.slice(from) : undefined;
}

