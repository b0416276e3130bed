/**
 * Quiet hours: a daily span (may wrap past midnight) in which non-critical repeats are held. Pure:
 * time is passed in; the zone is the site's (or the process's local time when none is given).
 */
export interface QuietHours {
  /** Minutes after midnight, local to the engine's time zone; may wrap past midnight. */
  startMin: number;
  endMin: number;
}

/** Parses quiet hours like `22:00-07:00` (may wrap midnight); empty text means none. */
export function parseQuietHours(text: string | undefined): { ok: true; value: QuietHours | undefined } | { ok: false; error: string } {
  const t = (text ?? '').trim();
  if (t === '') return { ok: true, value: undefined };
  const m = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(t);
  if (!m) return { ok: false, error: `quiet hours "${t}" must look like 22:00-07:00` };
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return { ok: false, error: `quiet hours "${t}": hours go to 23 and minutes to 59` };
  const startMin = h1 * 60 + m1;
  const endMin = h2 * 60 + m2;
  if (startMin === endMin) return { ok: false, error: `quiet hours "${t}" start and end at the same time` };
  return { ok: true, value: { startMin, endMin } };
}

/** Tells the minute of the day in one time zone (the formatter is built once: it is costly). */
export class LocalClock {
  private readonly formatter: Intl.DateTimeFormat | undefined;

  constructor(timeZone?: string) {
    if (timeZone) this.formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  minuteOfDay(now: number): number {
    if (this.formatter) {
      let h = 0;
      let min = 0;
      for (const p of this.formatter.formatToParts(now)) {
        if (p.type === 'hour') h = Number(p.value);
        else if (p.type === 'minute') min = Number(p.value);
      }
      return h * 60 + min;
    }
    const d = new Date(now);
    return d.getHours() * 60 + d.getMinutes();
  }

  /** Whether `now` falls in the quiet hours `q` (none: never). */
  isQuiet(q: QuietHours | undefined, now: number): boolean {
    if (!q) return false;
    const m = this.minuteOfDay(now);
    return q.startMin <= q.endMin ? m >= q.startMin && m < q.endMin : m >= q.startMin || m < q.endMin;
  }
}
