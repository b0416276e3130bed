/**
 * Wall-clock time in an IANA zone with nothing but Intl (no date library): the local parts of an
 * instant, local dates as plain values, and the instant of a local time on a local date across DST
 * gaps and overlaps. Pure.
 */

/** A calendar date in some zone (month 1–12). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export interface LocalParts extends LocalDate {
  hour: number;
  minute: number;
}

const DAY_MS = 86_400_000;

// One formatter per zone: building one costs far more than using it. Bounded by the zones in use.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    if (formatters.size >= 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local date and time of an instant in `timeZone`. */
export function localParts(at: number, timeZone: string): LocalParts & { second: number } {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
export function zoneOffset(at: number, timeZone: string): number {
  const whole = Math.floor(at / 1000) * 1000;
  const p = localParts(whole, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/** The local date of an instant. */
export function localDate(at: number, timeZone: string): LocalDate {
  const { year, month, day } = localParts(at, timeZone);
  return { year, month, day };
}

/** The date `days` after (or before) a local date. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday of a local date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: LocalDate): number {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/**
 * The instant a wall clock in `timeZone` shows `hour:minute` on `date`. A time the clock shows twice
 * (the autumn overlap) is its first occurrence; a time it skips (the spring gap) is the same wall
 * time read with the offset before the change, which lands as far past the gap as it was into it.
 */
export function localInstant(date: LocalDate, hour: number, minute: number, timeZone: string): number {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  // The zone's offsets a day either side cover every change (no zone changes twice in two days).
  const candidates = [...new Set([zoneOffset(asUtc - DAY_MS, timeZone), zoneOffset(asUtc + DAY_MS, timeZone), zoneOffset(asUtc, timeZone)])].map((o) => asUtc - o);
  const shows = candidates.filter((t) => {
    const p = localParts(t, timeZone);
    return p.hour === hour && p.minute === minute && p.day === date.day;
  });
  if (shows.length > 0) return Math.min(...shows);
  // In the gap: the offset before the change is the smaller one, so the later instant.
  return Math.max(...candidates);
}
