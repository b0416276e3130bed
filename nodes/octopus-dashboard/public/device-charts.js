// @ts-check
// The device page's charts: every numeric or boolean attribute over the chosen range (a
// min/mean/max band when bucketed, from the API's history), and the live tail appended as
// readings arrive.

import { api, query } from './api.js';
import { css, el } from './dom.js';
import { format, time } from './format.js';
import { duration, fmtTick, timeTicks } from './device-time.js';
import { currentRange } from './device-state.js';
import { Chart } from './vendor-chart.js';

/** @typedef {import('./device-state.js').DevicePage} DevicePage */
/** @typedef {import('./device-state.js').Panel} Panel */
/** @typedef {import('./device-state.js').LineChart} LineChart */
/** @typedef {import('./device-state.js').TimeRange} TimeRange */
/** @typedef {import('./types.js').AttributeView} AttributeView */
/** @typedef {import('./types.js').HistoryView} HistoryView */
/** @typedef {import('./types.js').LiveReading} LiveReading */

const POINTS = 1000;
const LIVE_TAIL_MAX = 2000;

/**
 * History bucketed in SQL by the API (rollups for long ranges), at most POINTS per series.
 * @param {string} deviceId
 * @param {string} attribute
 * @param {TimeRange} range
 * @returns {Promise<HistoryView>}
 */
function history(deviceId, attribute, range) {
  const q = query({ attribute, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), points: POINTS });
  return api('/devices/' + encodeURIComponent(deviceId) + '/history' + q);
}

/**
 * An empty chart for the attribute, in the theme's colours.
 * @param {DevicePage} page
 * @param {AttributeView} attr
 * @returns {{ canvas: HTMLCanvasElement, chart: LineChart }}
 */
export function chartFor(page, attr) {
  const canvas = el('canvas', null, undefined, { 'aria-label': 'History of ' + attr.name, role: 'img' });
  const accent = css('--accent', '#2f7fbf');
  const band = css('--band', 'rgba(47,127,191,0.18)');
  const text = css('--muted', '#667085');
  const grid = css('--line', '#e3e6eb');
  const boolean = typeof attr.value === 'boolean';
  /** @type {LineChart} */
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label: 'max', data: [], borderWidth: 0, pointRadius: 0, fill: '+1', backgroundColor: band, stepped: boolean },
        { label: 'min', data: [], borderWidth: 0, pointRadius: 0, fill: false, stepped: boolean },
        { label: 'mean', data: [], borderWidth: 1.6, pointRadius: 0, borderColor: accent, backgroundColor: accent, stepped: boolean },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? time(items[0].parsed.x ?? 0) : ''),
            label: (item) => item.dataset.label + ': ' + format(item.parsed.y, page.units[attr.name]),
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
          grid: { color: grid },
          afterBuildTicks: (scale) => {
            scale.ticks = timeTicks(scale.min, scale.max, scale.width < 420 ? 4 : 7);
          },
        },
        y: boolean
          ? { min: -0.05, max: 1.05, ticks: { color: text, stepSize: 1, callback: (v) => (v === 1 ? 'on' : v === 0 ? 'off' : '') }, grid: { color: grid } }
          : { ticks: { color: text, maxTicksLimit: 6 }, grid: { color: grid } },
      },
    },
  });
  return { canvas, chart };
}

/**
 * The x axis of a chart set to the range.
 * @param {LineChart} chart
 * @param {TimeRange} range
 */
function setAxis(chart, range) {
  const x = chart.options.scales?.x;
  if (!x) return;
  x.min = range.from;
  x.max = range.to;
}

/**
 * Charts load one after another: a page of many attributes does not fire many long queries at once.
 * @param {DevicePage} page
 */
export function loadCharts(page) {
  let queue = Promise.resolve();
  page.panels.forEach((p) => {
    if (!p.chart || !p.box || !p.note) return;
    const token = (p.loading = {});
    p.box.dataset.state = 'loading';
    p.note.textContent = 'loading…';
    queue = queue.then(() => {
      if (!page.closed && p.loading === token) return loadChart(page, p, token);
    });
  });
  return queue;
}

/**
 * @param {DevicePage} page
 * @param {Panel} panel
 * @param {object} token
 */
function loadChart(page, panel, token) {
  const range = currentRange(page);
  const { chart, box, note } = panel;
  if (!chart || !box || !note) return Promise.resolve();
  return history(page.deviceId, panel.attr.name, range).then(
    (h) => {
      if (panel.loading !== token || page.closed) return;
      /** @type {{ x: number, y: number }[][]} */
      const [mean, min, max] = [[], [], []];
      h.points.forEach((p) => {
        const x = Date.parse(p.ts);
        mean.push({ x, y: p.mean });
        min.push({ x, y: p.min });
        max.push({ x, y: p.max });
      });
      const ds = chart.data.datasets;
      // The band only means something when buckets hold several readings.
      const bucketed = h.source !== 'raw' || h.points.some((p) => p.count > 1);
      ds[0].data = bucketed ? max : [];
      ds[1].data = bucketed ? min : [];
      ds[2].data = mean;
      setAxis(chart, range);
      const x = chart.options.scales?.x;
      if (x && x.ticks) x.ticks.callback = fmtTick(range.to - range.from);
      chart.update('none');
      panel.range = range;
      if (h.unit) page.units[panel.attr.name] = h.unit;
      box.dataset.state = 'drawn';
      box.dataset.points = String(mean.length);
      box.dataset.source = h.source;
      note.textContent = mean.length
        ? mean.length + ' points · ' + (bucketed ? 'min / mean / max per ' + duration(h.bucketMs) : 'readings') + (h.source === 'raw' ? '' : ' · from ' + h.source + (h.source === '5m' || h.source === '1h' ? ' rollups' : ''))
        : 'no readings in this range';
    },
    (/** @type {Error} */ err) => {
      if (panel.loading !== token) return;
      box.dataset.state = 'error';
      note.textContent = 'history unavailable: ' + err.message;
    },
  );
}

/**
 * A new reading at the end of the chart's live range (drawn at the next redraw).
 * @param {Panel} panel
 * @param {LiveReading} r
 */
export function appendLive(panel, r) {
  const chart = panel.chart;
  if (!chart || !panel.range) return;
  const y = typeof r.value === 'boolean' ? (r.value ? 1 : 0) : r.value;
  if (typeof y !== 'number') return;
  const span = panel.range.to - panel.range.from;
  const range = (panel.range = { from: r.ts - span, to: Math.max(r.ts, panel.range.to), live: true });
  const ds = chart.data.datasets;
  ds[2].data.push({ x: r.ts, y });
  if (ds[0].data.length) {
    ds[0].data.push({ x: r.ts, y });
    ds[1].data.push({ x: r.ts, y });
  }
  ds.forEach((d) => {
    while (d.data.length && (d.data[0].x < range.from || d.data.length > POINTS + LIVE_TAIL_MAX)) d.data.shift();
  });
  setAxis(chart, range);
  panel.dirty = true;
  if (panel.box) panel.box.dataset.points = String(ds[2].data.length);
}

/** @param {DevicePage} page */
export function redrawDirty(page) {
  if (page.closed) return;
  page.panels.forEach((p) => {
    if (p.dirty && p.chart) {
      p.dirty = false;
      p.chart.update('none');
    }
  });
}
