import type { ReadingValue } from '../model/reading';
import type { Slot } from './automation-types';
import { sunTimes } from './sun-times';
import { addDays, compareDates, isoWeekday, localDate, localInstant, localParts, type LocalDate } from './zoned-time';

/**
 * When a schedule's slots fall, as instants. Pure. Slots are walked per LOCAL date in the site's
 * zone, one instant per slot and date: a DST change can neither skip a slot (a time in the
 * spring-forward gap runs at the first valid minute after it) nor double one (a time that occurs
 * twice in the autumn runs at its first occurrence only).
 */
export interface SiteClock {
  timeZone: string;
  latitude: number | null;
  longitude: number | null;
}

export interface Occurrence {
  at: number;
  /** Index of the slot in the schedule. */
  slot: number;
  value?: ReadingValue;
}

/** Local dates walked at most, so a hostile range costs a bounded amount. */
export const MAX_SPAN_DAYS = 62;
const DAY_MS = 86_400_000;

export function parseTime(hhmm: string): { hour: number; minute: number } | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

/** Sunrise or sunset on a local date, or undefined where the sun does not rise or set that day. */
export function sunInstant(date: LocalDate, event: 'sunrise' | 'sunset', latitude: number, longitude: number, timeZone: string): number | undefined {
  const noon = new Date(localInstant(date, 12, 0, timeZone));
  const t = sunTimes(noon.getTime(), latitude, longitude)[event];
  return Number.isFinite(t) ? t : undefined;
}

/** The slots' instants in (from, to], in order. Sun slots need the site's location; without it they never fall. */
export function occurrences(slots: readonly Slot[], site: SiteClock, from: number, to: number): Occurrence[] {
  if (!(to > from)) return [];
  const start = Math.max(from, to - MAX_SPAN_DAYS * DAY_MS);
  const out: Occurrence[] = [];
  const push = (at: number | undefined, slot: number, value?: ReadingValue) => {
    if (at !== undefined && at > start && at <= to) out.push(value === undefined ? { at, slot } : { at, slot, value });
  };
  let date = addDays(localDate(start, site.timeZone), -1);
  const last = addDays(localDate(to, site.timeZone), 1);
  while (compareDates(date, last) <= 0) {
    const weekday = isoWeekday(date);
    const day = date;
    slots.forEach((s, i) => {
      if (s.kind === 'once' || !s.days.includes(weekday)) return;
      if (s.kind === 'weekly') {
        const t = parseTime(s.time);
        if (t) push(localInstant(day, t.hour, t.minute, site.timeZone), i, s.value);
      } else if (site.latitude !== null && site.longitude !== null) {
        const sun = sunInstant(day, s.event, site.latitude, site.longitude, site.timeZone);
        push(sun === undefined ? undefined : sun + s.offsetMinutes * 60_000, i, s.value);
      }
    });
    date = addDays(date, 1);
  }
  slots.forEach((s, i) => {
    if (s.kind === 'once') push(Date.parse(s.at), i, s.value);
  });
  return out.sort((a, b) => a.at - b.at || a.slot - b.slot);
}

/** The next instant after `after` (within MAX_SPAN_DAYS), for showing when a schedule runs next. */
export function nextOccurrence(slots: readonly Slot[], site: SiteClock, after: number): Occurrence | undefined {
  for (let span = 2; span <= MAX_SPAN_DAYS; span *= 2) {
    const found = occurrences(slots, site, after, after + span * DAY_MS)[0];
    if (found) return found;
  }
  return occurrences(slots, site, after, after + MAX_SPAN_DAYS * DAY_MS)[0];
}

export interface Due {
  /** The one slot to run now: the latest within the grace window. */
  run?: Occurrence;
  /** Slots that passed unrun (older than the grace window, or superseded by a later one), at most `maxMissed`. */
  missed: Occurrence[];
  /** How many more were missed than listed. */
  moreMissed: number;
  /** Where the next check resumes from. */
  lastSlot: number;
}

/**
 * What a schedule must do at `now`, given the last slot it handled: each slot in (lastSlot, now]
 * runs at most once; after a restart only the latest slot still within `graceMs` runs, the older
 * ones are reported missed.
 */
export function dueRuns(slots: readonly Slot[], site: SiteClock, lastSlot: number, now: number, graceMs: number, maxMissed = 20): Due {
  const passed = occurrences(slots, site, lastSlot, now);
  if (passed.length === 0) return { missed: [], moreMissed: 0, lastSlot: Math.max(lastSlot, now) };
  const latest = passed[passed.length - 1];
  const run = now - latest.at <= graceMs ? latest : undefined;
  const missed = run ? passed.slice(0, -1) : passed;
  return { run, missed: missed.slice(-maxMissed), moreMissed: Math.max(0, missed.length - maxMissed), lastSlot: latest.at };
}

/** Whether a local wall-clock time lies in [from, to) (to before from wraps midnight; equal is all day). */
export function inTimeWindow(at: number, timeZone: string, from: string, to: string): boolean {
  const f = parseTime(from);
  const t = parseTime(to);
  if (!f || !t) return false;
  const local = localParts(at, timeZone);
  const m = local.hour * 60 + local.minute;
  const a = f.hour * 60 + f.minute;
  const b = t.hour * 60 + t.minute;
  if (a === b) return true;
  return a < b ? m >= a && m < b : m >= a || m < b;
}

/**
 * A schedule's clock between checks: the next slot is computed once, and `dueRuns` is only walked
 * when the clock reaches it, so checking thousands of schedules every second costs a comparison each.
 */
export class SlotTimer {
  private next: number | null = null;

  constructor(public lastSlot: number) {}

  /** What is due at `now`, or undefined while the next slot is still ahead. */
  check(slots: readonly Slot[], site: SiteClock, now: number, graceMs: number): Due | undefined {
    if (this.next === null) this.next = nextOccurrence(slots, site, this.lastSlot)?.at ?? this.lastSlot + (MAX_SPAN_DAYS / 2) * DAY_MS;
    if (now < this.next) return undefined;
    const due = dueRuns(slots, site, this.lastSlot, now, graceMs);
    this.lastSlot = due.lastSlot;
    this.next = null;
    return due;
  }

  /** The slots or the zone changed: compute the next slot again. */
  reset(): void {
    this.next = null;
  }
}
