// @ts-check
// Values and times as the pages show them, on the server's clock.

let serverOffset = 0;

/**
 * The server's time (ms) as the stream's snapshot told it: ages are counted on the server's clock.
 * @param {number} serverTime
 */
export function setServerTime(serverTime) {
  serverOffset = serverTime - Date.now();
}

export function now() {
  return Date.now() + serverOffset;
}

/**
 * A value for people: numbers rounded to 2 decimals, booleans on/off, nothing as a dash.
 * @param {unknown} v
 * @param {string | null} [unit]
 */
export function format(v, unit) {
  const text = typeof v === 'number' ? (Math.round(v * 100) / 100).toString() : typeof v === 'boolean' ? (v ? 'on' : 'off') : v === null || v === undefined ? '—' : String(v);
  return unit ? text + ' ' + unit : text;
}

/** @param {number} ts */
export function ago(ts) {
  const s = Math.max(0, Math.round((now() - ts) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400 * 2) return Math.round(s / 3600) + ' h ago';
  return new Date(ts).toLocaleDateString();
}

/** @param {number} ts */
export function time(ts) {
  return new Date(ts).toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** @param {number} ts */
export function shortTime(ts) {
  const d = new Date(ts);
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return today ? t : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + t;
}

/** @param {string} id */
export function deviceHref(id) {
  return '#/device/' + encodeURIComponent(id);
}
