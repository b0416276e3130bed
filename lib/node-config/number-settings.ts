/**
 * Number settings as the editor saves them (text typed in a field, or a number in a flow written by
 * hand): empty or absent means the default. Pure: no Node-RED. Each node words the range problem
 * for its own setting (numberIn), or checks the number itself.
 */

/** The setting's number: the fallback when empty or absent, NaN when it is not a number. */
export function numberSetting(v: string | number | undefined, fallback: number): number {
  return v === '' || v === undefined ? fallback : Number(v);
}

/** The setting within min–max, else the fallback and the problem (`<what> <value> is outside min–max`). */
export function numberIn(v: string | number | undefined, fallback: number, min: number, max: number, what: string): { value: number; problem?: string } {
  const n = numberSetting(v, fallback);
  if (!Number.isFinite(n) || n < min || n > max) return { value: fallback, problem: `${what} ${String(v)} is outside ${min}–${max}` };
  return { value: n };
}
