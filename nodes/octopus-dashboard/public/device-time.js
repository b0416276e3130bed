// @ts-check
// The device page's time: the ranges it offers, the time axis's round ticks and their labels, and
// durations and datetime-local values as people read and type them.

const H = 3600000;
const D = 24 * H;

/** @typedef {'1h' | '24h' | '7d' | '30d' | '1y'} RangeName */
/** @type {[RangeName, string, number][]} name, label, span */
export const RANGES = [
  ['1h', '1 h', H],
  ['24h', '24 h', D],
  ['7d', '7 d', 7 * D],
  ['30d', '30 d', 30 * D],
  ['1y', '1 y', 365 * D],
];

/** @typedef {{ from: number, to: number, live: boolean }} TimeRange live: the end follows the clock */

// Round steps for the time axis: ticks fall on whole minutes, hours, days or months.
const STEPS = [60000, 5 * 60000, 10 * 60000, 15 * 60000, 30 * 60000, H, 2 * H, 3 * H, 6 * H, 12 * H, D, 2 * D, 7 * D, 14 * D, 30 * D, 61 * D, 91 * D];

/**
 * At most about `max` ticks between from and to, on round times.
 * @param {number} from
 * @param {number} to
 * @param {number} max
 * @returns {{ value: number }[]}
 */
export function timeTicks(from, to, max) {
  const span = to - from;
  const step = STEPS.find((s) => span / s <= max) ?? STEPS[STEPS.length - 1];
  const ticks = [];
  if (step >= 30 * D) {
    // Months: the first of each, every n months.
    const months = Math.round(step / (30 * D));
    const first = new Date(from);
    for (let d = new Date(first.getFullYear(), first.getMonth() + 1, 1); d.getTime() <= to; d = new Date(d.getFullYear(), d.getMonth() + months, 1)) ticks.push({ value: d.getTime() });
    return ticks;
  }
  // Align to local midnight so that days and hours read round.
  const start = new Date(from);
  start.setHours(0, 0, 0, 0);
  let t = start.getTime();
  if (step >= D) while (t < from) t += step;
  else t += Math.ceil((from - t) / step) * step;
  for (; t <= to; t += step) ticks.push({ value: t });
  return ticks;
}

/**
 * A tick's label for a range of `span` ms: times, days or months.
 * @param {number} span
 * @returns {(v: number | string) => string}
 */
export function fmtTick(span) {
  return (v) => {
    const d = new Date(v);
    if (span <= 2 * D) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    if (span <= 60 * D) return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
    return d.toLocaleDateString([], { year: '2-digit', month: 'short' });
  };
}

/**
 * The value of a datetime-local input for instant ts, in the browser's zone.
 * @param {number} ts
 */
export function toLocalInput(ts) {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** @param {number} ms */
export function duration(ms) {
  if (ms >= D && ms % D === 0) return ms / D + ' d';
  if (ms >= H) return Math.round((ms / H) * 10) / 10 + ' h';
  if (ms >= 60000) return Math.round(ms / 60000) + ' min';
  return Math.max(1, Math.round(ms / 1000)) + ' s';
}
