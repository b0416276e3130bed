// @ts-check
// The device page's parts: the head (name, state, where, open alerts), the range bar (ranges, a
// custom range, the CSV download) and a panel per attribute (value, age, control, chart).

import { apiBase, query } from './api.js';
import { el } from './dom.js';
import { ago, format } from './format.js';
import { openAlerts } from './open-alerts.js';
import { chartFor } from './device-charts.js';
import { controlFor } from './device-commands.js';
import { currentRange } from './device-state.js';
import { RANGES, toLocalInput } from './device-time.js';

/** @typedef {import('./device-state.js').DevicePage} DevicePage */
/** @typedef {import('./device-state.js').Panel} Panel */
/** @typedef {import('./types.js').DeviceView} DeviceView */

/**
 * The head: name and state, where the device is, its id, its open alerts.
 * @param {DevicePage} page
 * @param {DeviceView} d
 */
export function deviceHead(page, d) {
  const head = el('header', 'device-head');
  const h = (page.head = {
    title: el('h2', 'device-name', d.name || d.device),
    badge: el('span', 'badge', d.state, { 'data-state': d.state }),
    where: el('div', 'muted'),
    idLine: el('div', 'muted small mono'),
    alertList: el('ul', 'alerts'),
  });
  head.appendChild(el('div', 'title-line', undefined, null, h.title, h.badge));
  head.appendChild(h.where);
  head.appendChild(h.idLine);
  head.appendChild(h.alertList);
  h.where.textContent = [d.site, d.room, d.kind].filter(Boolean).join(' · ');
  h.idLine.textContent = d.deviceId + (d.profile && d.profile !== 'octopus' ? ' (' + d.profile + ')' : '');
  return head;
}

/** @param {DevicePage} page */
export function renderAlerts(page) {
  const list = page.head?.alertList;
  if (page.closed || !list) return;
  list.textContent = '';
  openAlerts.forEach((a) => {
    if (a.deviceId !== page.deviceId) return;
    list.appendChild(el('li', 'alert', a.message || a.attribute, { 'data-severity': a.severity, 'data-state': a.state, 'data-alert-id': a.id }));
  });
}

/**
 * The range picker and the download; `onRange` hears a new range (the charts reload).
 * @param {DevicePage} page
 * @param {DeviceView} d
 * @param {() => void} onRange
 */
export function rangeBar(page, d, onRange) {
  const ranges = el('div', 'ranges', undefined, { role: 'group', 'aria-label': 'Range' });
  const customForm = el('form', 'custom-range', undefined, { hidden: '' });
  const fromInput = el('input', null, undefined, { type: 'datetime-local', 'aria-label': 'From', name: 'from' });
  const toInput = el('input', null, undefined, { type: 'datetime-local', 'aria-label': 'To', name: 'to' });
  const customError = el('span', 'error');
  customForm.appendChild(el('label', null, 'From ', null, fromInput));
  customForm.appendChild(el('label', null, 'To ', null, toInput));
  customForm.appendChild(el('button', 'button', 'Show', { type: 'submit' }));
  customForm.appendChild(customError);
  /** @param {string} name */
  const setRange = (name) => {
    page.range = name;
    ranges.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', b.dataset.range === name ? 'true' : 'false'));
    try {
      sessionStorage.setItem('octopus-range', name === 'custom' ? '24h' : name);
    } catch {
      /* private mode */
    }
    onRange();
  };
  /** @type {[string, string][]} */
  const choices = RANGES.map((r) => [r[0], r[1]]);
  choices.concat([['custom', 'Custom']]).forEach(([name, label]) => {
    const b = el('button', 'range', label, { type: 'button', 'data-range': name, 'aria-pressed': name === page.range ? 'true' : 'false' });
    b.addEventListener('click', () => {
      if (name === 'custom') {
        customForm.hidden = false;
        const cur = currentRange(page);
        fromInput.value = toLocalInput(cur.from);
        toInput.value = toLocalInput(cur.to);
        return;
      }
      customForm.hidden = true;
      setRange(name);
    });
    ranges.appendChild(b);
  });
  customForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = new Date(fromInput.value).getTime();
    const to = new Date(toInput.value).getTime();
    if (!(from < to)) {
      customError.textContent = 'From must be before To.';
      return;
    }
    customError.textContent = '';
    page.customFrom = from;
    page.customTo = to;
    setRange('custom');
  });
  // Download: the shown range of this device as CSV (the export streams it from the database).
  const download = el('a', 'button', 'Download CSV', { id: 'device-download', download: '', href: '#' });
  download.addEventListener('click', () => {
    const r = currentRange(page);
    download.href = apiBase() + '/devices/' + encodeURIComponent(d.deviceId) + '/export' + query({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), format: 'csv' });
  });
  return el('div', 'range-bar', undefined, null, ranges, customForm, download);
}

/**
 * One panel per attribute, in `page.panels`.
 * @param {DevicePage} page
 * @param {DeviceView} d
 */
export function panels(page, d) {
  const grid = el('div', 'panels');
  d.attributes.forEach((a) => {
    const ts = Date.parse(a.ts);
    const value = el('span', 'value', format(a.value, a.unit), { 'data-device-id': d.deviceId, 'data-attribute': a.name });
    const age = el('span', 'age', 'updated ' + ago(ts));
    /** @type {Panel} */
    const panel = { attr: a, value, age, ts };
    if (a.unit) page.units[a.name] = a.unit;
    const card = el('section', 'panel', undefined, { 'data-attribute': a.name }, el('header', null, undefined, null, el('h3', null, a.name), value), age);
    if (a.controllable) {
      panel.control = controlFor(page, a, a.controllable);
      card.appendChild(panel.control.box);
    }
    if (typeof a.value === 'number' || typeof a.value === 'boolean') {
      const c = chartFor(page, a);
      panel.chart = c.chart;
      panel.box = el('div', 'chart', undefined, { 'data-attribute': a.name, 'data-state': 'loading' }, c.canvas);
      panel.note = el('div', 'muted small');
      card.appendChild(panel.box);
      card.appendChild(panel.note);
    } else {
      card.classList.add('text');
    }
    page.panels.set(a.name, panel);
    grid.appendChild(card);
  });
  if (d.attributes.length === 0) grid.appendChild(el('p', 'empty', 'This device has not reported any value yet.'));
  return grid;
}
