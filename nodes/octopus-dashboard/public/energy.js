// @ts-check
// Energy: consumption of a site's counters (kWh, m³) per hour, day or month in the site's time
// zone, with the previous period overlaid, top consumers and the split per room; a Download of
// the shown range; the site's time zone, tariff and attribute classes for owners. Phone first:
// one column, the chart full width, lists below.

import { api, apiBase, query } from './api.js';
import { css, el } from './dom.js';
import { energySettings } from './energy-settings.js';
import { deviceHref, now } from './format.js';
import { live } from './live.js';
import { Chart } from './vendor-chart.js';
import { localDate, rangeOf, shift } from './zoned-dates.js';

/** @typedef {import('./types.js').Consumption} Consumption */
/** @typedef {import('./zoned-dates.js').CalendarView} CalendarView */
/** @typedef {import('chart.js').Chart<'bar', (number | null)[], string>} BarChart */

/**
 * view → bucket period, how a bucket is labelled
 * @type {Record<CalendarView, { period: string, label: string, tick: Intl.DateTimeFormatOptions }>}
 */
const VIEWS = {
  day: { period: 'hour', label: 'Day', tick: { hour: '2-digit' } },
  week: { period: 'day', label: 'Week', tick: { weekday: 'short' } },
  month: { period: 'day', label: 'Month', tick: { day: 'numeric' } },
  year: { period: 'month', label: 'Year', tick: { month: 'short' } },
};

/**
 * The page's state while shown (the elements once the site is known).
 * @typedef {object} EnergyPage
 * @property {CalendarView} view
 * @property {'energy' | 'volume'} quantity
 * @property {string} zone
 * @property {string} site
 * @property {import('./zoned-dates.js').LocalDate} anchor
 * @property {object} [token] the latest load: older answers are dropped
 * @property {HTMLAnchorElement} download
 * @property {HTMLElement} title
 * @property {HTMLElement} total
 * @property {HTMLElement} compare
 * @property {HTMLElement} zoneNote
 * @property {HTMLElement} status
 * @property {HTMLElement} box
 * @property {BarChart} chart
 * @property {HTMLElement} consumers
 * @property {HTMLElement} rooms
 */
/** @type {EnergyPage | null} */
let state = null;
/** @type {object | null} the showing of the page in progress: answers to an earlier one are dropped */
let current = null;

/**
 * @param {number | null | undefined} v
 * @param {string} currency
 */
function money(v, currency) {
  if (v === null || v === undefined) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(v);
  } catch {
    return v.toFixed(2) + ' ' + currency;
  }
}

/**
 * @param {number} v
 * @param {string} unit
 */
function amount(v, unit) {
  return (Math.round(v * 100) / 100).toLocaleString() + ' ' + unit;
}

/**
 * @param {string} text
 * @param {string} [kind]
 */
function setStatus(text, kind) {
  if (!state) return;
  state.status.textContent = text;
  state.status.dataset.kind = kind || '';
  state.status.hidden = !text;
}

/** @param {EnergyPage} s */
function consumptionQuery(s) {
  const r = rangeOf(s.view, s.anchor, s.zone);
  return query({ period: VIEWS[s.view].period, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), quantity: s.quantity, previous: true });
}

/** @param {EnergyPage} s */
function updateDownload(s) {
  const r = rangeOf(s.view, s.anchor, s.zone);
  s.download.href = apiBase() + '/sites/' + encodeURIComponent(s.site) + '/export' +
    query({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), resolution: s.view === 'day' ? '1h' : '1day', format: 'csv' });
}

function load() {
  if (!state || !state.site) return;
  const mine = state;
  const token = (mine.token = {});
  mine.box.dataset.state = 'loading';
  setStatus('loading…', 'loading');
  updateDownload(mine);
  api('/sites/' + encodeURIComponent(mine.site) + '/consumption' + consumptionQuery(mine)).then(
    (/** @type {Consumption} */ c) => {
      if (state !== mine || mine.token !== token) return;
      render(mine, c);
    },
    (/** @type {import('./api.js').ApiError} */ err) => {
      if (state !== mine || mine.token !== token) return;
      mine.box.dataset.state = 'error';
      setStatus(err.status ? 'Could not load the consumption: ' + err.message : 'The server cannot be reached: check the connection; the page tries again when you change the range.', 'error');
    },
  );
}

/**
 * @param {EnergyPage} s
 * @param {Consumption} c
 */
function render(s, c) {
  const view = VIEWS[s.view];
  const fmt = new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: c.timeZone }, view.tick));
  const chart = s.chart;
  chart.data.labels = c.buckets.map((b) => fmt.format(new Date(b.start)));
  chart.data.datasets[0].data = c.buckets.map((b) => b.total);
  chart.data.datasets[1].data = c.buckets.map((_b, i) => (c.previous && c.previous.buckets[i] ? c.previous.buckets[i].total : null));
  const tooltip = chart.options.plugins?.tooltip;
  if (tooltip?.callbacks) tooltip.callbacks.label = (item) => item.dataset.label + ': ' + amount(item.parsed.y ?? 0, c.unit);
  chart.update();
  s.box.dataset.state = 'ready';
  s.box.dataset.buckets = String(c.buckets.length);

  /** @type {Intl.DateTimeFormatOptions} */
  const titleParts = s.view === 'year' ? { year: 'numeric' } : s.view === 'month' ? { year: 'numeric', month: 'long' } : { year: 'numeric', month: 'short', day: 'numeric' };
  const title = new Intl.DateTimeFormat(undefined, { timeZone: c.timeZone, ...titleParts });
  s.title.textContent = (s.view === 'week' ? 'Week of ' : '') + title.format(new Date(c.from));
  const before = c.previous ? c.previous.buckets.reduce((a, b) => a + b.total, 0) : 0;
  const change = before > 0 ? Math.round(((c.total - before) / before) * 100) : null;
  s.total.textContent = amount(c.total, c.unit) + (c.cost !== null ? ' · ' + money(c.cost, c.currency ?? '') : '');
  s.compare.textContent = change === null ? 'nothing to compare with in the period before' : (change >= 0 ? '+' : '') + change + ' % against the period before (' + amount(before, c.unit) + ')';
  s.zoneNote.textContent = 'Times in ' + c.timeZone;

  list(s.consumers, c.devices.slice(0, 10).map((d) => ({ name: d.name, detail: d.room + ' · ' + d.attribute, total: d.total, cost: d.cost, href: deviceHref(d.deviceId) })), c);
  list(s.rooms, c.rooms.map((r) => ({ name: r.room, total: r.total, cost: r.cost })), c);
  if (c.devices.length === 0) setStatus('No ' + (s.quantity === 'energy' ? 'energy' : 'water or gas') + ' counters in this site yet. Attributes in kWh, Wh or m³ count by themselves; any other can be made a counter under “Counters and classes”.', 'empty');
  else if (c.total === 0) setStatus('No consumption recorded in this period.', 'empty');
  else setStatus('');
}

/**
 * A ranked list with a bar per line, sized against the largest.
 * @param {HTMLElement} target
 * @param {{ name: string, detail?: string, total: number, cost: number | null, href?: string }[]} rows
 * @param {Consumption} c
 */
function list(target, rows, c) {
  target.textContent = '';
  const max = rows.reduce((m, r) => Math.max(m, r.total), 0);
  const sum = rows.reduce((s, r) => s + r.total, 0);
  rows.forEach((r) => {
    const bar = el('span', 'share-bar');
    // Through the CSSOM: the page's CSP (style-src 'self') refuses style attributes.
    bar.style.width = (max > 0 ? Math.max(2, (r.total / max) * 100) : 0) + '%';
    const name = r.href ? el('a', 'name', r.name, { href: r.href }) : el('span', 'name', r.name);
    target.appendChild(el('li', 'share', undefined, { 'data-name': r.name }, el('div', 'share-head', undefined, null, name,
      el('span', 'share-value', amount(r.total, c.unit) + (sum > 0 ? ' · ' + Math.round((r.total / sum) * 100) + ' %' : '') + (r.cost !== null ? ' · ' + money(r.cost, c.currency ?? '') : ''))),
    r.detail ? el('div', 'muted small', r.detail) : null, el('div', 'share-track', undefined, null, bar)));
  });
  if (rows.length === 0) target.appendChild(el('li', 'muted small', 'nothing yet'));
}

/**
 * A #rrggbb colour at the given opacity (other notations are kept as they are).
 * @param {string} color
 * @param {number} alpha
 */
function translucent(color, alpha) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return m ? 'rgba(' + parseInt(m[1], 16) + ',' + parseInt(m[2], 16) + ',' + parseInt(m[3], 16) + ',' + alpha + ')' : color;
}

/**
 * @param {HTMLCanvasElement} canvas
 * @returns {BarChart}
 */
function makeChart(canvas) {
  const accent = css('--accent', '#2f7fbf');
  const muted = css('--muted', '#667085');
  const grid = css('--line', '#e3e6eb');
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'this period', data: [], backgroundColor: accent, borderRadius: 2, grouped: false, barPercentage: 0.5, categoryPercentage: 0.9, order: 1 },
        // Wider and translucent behind the current bars, so both show on a phone's narrow slots.
        { label: 'period before', data: [], backgroundColor: translucent(muted, 0.35), borderColor: muted, borderWidth: 1, grouped: false, barPercentage: 0.95, categoryPercentage: 0.9, order: 2 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, labels: { color: muted, boxWidth: 12 } }, tooltip: { callbacks: {} } },
      scales: { x: { ticks: { color: muted, autoSkip: true, maxRotation: 0 }, grid: { display: false } }, y: { beginAtZero: true, ticks: { color: muted, maxTicksLimit: 6 }, grid: { color: grid } } },
    },
  });
}

/**
 * The page once the site and its zone are known.
 * @param {HTMLElement} view
 * @param {{ site: string }[]} sites
 * @param {string} site
 * @param {{ view: CalendarView, quantity: 'energy' | 'volume', zone: string, site: string, anchor: import('./zoned-dates.js').LocalDate }} start
 * @returns {EnergyPage}
 */
function build(view, sites, site, start) {
  const siteSelect = el('select', null, undefined, { id: 'energy-site', 'aria-label': 'Site' });
  sites.forEach((s) => siteSelect.appendChild(el('option', null, s.site, { value: s.site })));
  siteSelect.value = site;
  siteSelect.addEventListener('change', () => {
    location.hash = '#/energy/' + encodeURIComponent(siteSelect.value);
  });
  const views = el('div', 'segmented', undefined, { role: 'group', 'aria-label': 'Period' });
  const quantity = el('select', null, undefined, { id: 'energy-quantity', 'aria-label': 'What to count' });
  quantity.appendChild(el('option', null, 'Electricity (kWh)', { value: 'energy' }));
  quantity.appendChild(el('option', null, 'Water / gas (m³)', { value: 'volume' }));
  const prev = el('button', 'button', '‹', { type: 'button', 'aria-label': 'Previous period', 'data-action': 'previous' });
  const next = el('button', 'button', '›', { type: 'button', 'aria-label': 'Next period', 'data-action': 'next' });
  const download = el('a', 'button', 'Download CSV', { id: 'energy-download', download: '', href: '#' });
  const title = el('h2', 'energy-title', '');
  const canvas = el('canvas', null, undefined, { role: 'img', 'aria-label': 'Consumption per period, the period before as outlines' });
  /** @type {EnergyPage} */
  const s = {
    ...start,
    download,
    title,
    total: el('div', 'energy-total', ''),
    compare: el('div', 'muted small', ''),
    zoneNote: el('div', 'muted small', ''),
    status: el('p', 'energy-status', '', { role: 'status' }),
    box: el('div', 'energy-chart', undefined, { 'data-state': 'loading' }, canvas),
    chart: makeChart(canvas),
    consumers: el('ol', 'shares', undefined, { id: 'top-consumers' }),
    rooms: el('ul', 'shares', undefined, { id: 'room-split' }),
  };
  /** @type {CalendarView[]} */ (Object.keys(VIEWS)).forEach((k) => {
    const b = el('button', 'button', VIEWS[k].label, { type: 'button', 'data-view': k, 'aria-pressed': String(k === s.view) });
    b.addEventListener('click', () => {
      s.view = k;
      views.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
      load();
    });
    views.appendChild(b);
  });
  quantity.addEventListener('change', () => {
    s.quantity = quantity.value === 'volume' ? 'volume' : 'energy';
    load();
  });
  prev.addEventListener('click', () => {
    s.anchor = shift(s.view, s.anchor, -1, s.zone);
    load();
  });
  next.addEventListener('click', () => {
    s.anchor = shift(s.view, s.anchor, 1, s.zone);
    load();
  });
  view.appendChild(el('div', 'toolbar energy-toolbar', undefined, null, siteSelect, views, quantity));
  view.appendChild(el('div', 'toolbar', undefined, null, prev, title, next, download));
  view.appendChild(el('section', 'card energy-summary', undefined, null, s.total, s.compare, s.zoneNote));
  view.appendChild(s.status);
  view.appendChild(s.box);
  view.appendChild(el('div', 'energy-lists', undefined, null,
    el('section', 'card', undefined, null, el('h3', null, 'Top consumers'), s.consumers),
    el('section', 'card', undefined, null, el('h3', null, 'Per room'), s.rooms)));
  view.appendChild(energySettings(site, (zone) => {
    s.zone = zone;
    load();
  }));
  return s;
}

/**
 * @param {HTMLElement} view
 * @param {string | undefined} arg the site, URI-encoded
 */
function enter(view, arg) {
  let wanted = '';
  try {
    wanted = decodeURIComponent(arg || '');
  } catch {
    wanted = arg || '';
  }
  state = null;
  const mine = (current = {});
  view.appendChild(el('h2', null, 'Energy'));
  const note = el('p', 'muted', 'loading…');
  view.appendChild(note);
  api('/sites')
    .then((/** @type {{ items: { site: string }[] }} */ s) => {
      if (current !== mine) return;
      const sites = s.items;
      if (sites.length === 0) {
        note.textContent = 'No site has reported anything yet: consumption appears once devices report.';
        return;
      }
      const site = sites.some((x) => x.site === wanted) ? wanted : sites[0].site;
      return api('/sites/' + encodeURIComponent(site) + '/energy/settings').then((/** @type {import('./types.js').EnergySettings} */ settings) => {
        if (current !== mine) return;
        note.remove();
        const zone = settings.timeZone;
        state = build(view, sites, site, { view: 'month', quantity: 'energy', zone, site, anchor: localDate(now(), zone) });
        load();
        // No readings pushed here (consumption comes from the rollups): the stream keeps the alert count and the connection state current.
        live('?scope=alerts', {});
      });
    })
    .catch((/** @type {import('./api.js').ApiError} */ err) => {
      if (current !== mine) return;
      note.textContent = err.status ? 'Could not load the sites: ' + err.message : 'The server cannot be reached: check the connection and reload.';
      note.className = 'error';
    });
}

function leave() {
  if (state && state.chart) state.chart.destroy();
  state = null;
  current = null;
}

/** @type {import('./types.js').Page} */
export const energyPage = { title: 'Energy', enter, leave };
