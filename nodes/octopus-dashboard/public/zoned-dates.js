// @ts-check
// Calendar arithmetic in a site's time zone, from the browser's own time zone data: the Energy
// page's day, week, month and year around a date, and the step to the next or previous one.

/** @typedef {'day' | 'week' | 'month' | 'year'} CalendarView */
/** @typedef {{ y: number, m: number, d: number, dow: number }} LocalDate m from 0; dow from 0 = Monday */

/**
 * The zone's offset from UTC at instant t (ms).
 * @param {number} t
 * @param {string} zone
 */
function offsetAt(t, zone) {
  /** @type {Record<string, number>} */
  const parts = {};
  new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(new Date(t))
    .forEach((p) => {
      parts[p.type] = Number(p.value);
    });
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant that is local midnight of y-m-d in the zone (Date.UTC rolls days and months over).
 * @param {number} y
 * @param {number} m
 * @param {number} d
 * @param {string} zone
 */
function localMidnight(y, m, d, zone) {
  const guess = Date.UTC(y, m, d);
  const t = guess - offsetAt(guess, zone);
  return guess - offsetAt(t, zone);
}

/**
 * The local calendar date of instant t in the zone.
 * @param {number} t
 * @param {string} zone
 * @returns {LocalDate}
 */
export function localDate(t, zone) {
  const shifted = new Date(t + offsetAt(t, zone));
  return { y: shifted.getUTCFullYear(), m: shifted.getUTCMonth(), d: shifted.getUTCDate(), dow: (shifted.getUTCDay() + 6) % 7 };
}

/**
 * [from, to) of the view around the anchor date, in the zone.
 * @param {CalendarView} view
 * @param {LocalDate} a
 * @param {string} zone
 */
export function rangeOf(view, a, zone) {
  if (view === 'day') return { from: localMidnight(a.y, a.m, a.d, zone), to: localMidnight(a.y, a.m, a.d + 1, zone) };
  if (view === 'week') return { from: localMidnight(a.y, a.m, a.d - a.dow, zone), to: localMidnight(a.y, a.m, a.d - a.dow + 7, zone) };
  if (view === 'month') return { from: localMidnight(a.y, a.m, 1, zone), to: localMidnight(a.y, a.m + 1, 1, zone) };
  return { from: localMidnight(a.y, 0, 1, zone), to: localMidnight(a.y + 1, 0, 1, zone) };
}

/**
 * The anchor `step` views later (earlier when negative).
 * @param {CalendarView} view
 * @param {LocalDate} a
 * @param {number} step
 * @param {string} zone
 */
export function shift(view, a, step, zone) {
  let t;
  if (view === 'day') t = localMidnight(a.y, a.m, a.d + step, zone);
  else if (view === 'week') t = localMidnight(a.y, a.m, a.d + 7 * step, zone);
  else if (view === 'month') t = localMidnight(a.y, a.m + step, 1, zone);
  else t = localMidnight(a.y + step, 0, 1, zone);
  return localDate(t + 6 * 3600000, zone);
}
