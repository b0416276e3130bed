// @ts-check
// Alerts: the open ones (live), acknowledged with a note or cleared from here; the history with filters.

import { api, query } from './api.js';
import { el } from './dom.js';
import { ago, deviceHref, format, shortTime, time } from './format.js';
import { live } from './live.js';
import { applyAlert, openAlerts } from './open-alerts.js';

/** @typedef {import('./types.js').Alert} Alert */

/** @type {Record<string, number>} */
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
const PAGE = 50;

/**
 * The page's state while shown.
 * @typedef {object} AlertsPage
 * @property {number} offset
 * @property {ReturnType<typeof setInterval>[]} timers
 * @property {HTMLUListElement} active
 * @property {HTMLParagraphElement} activeEmpty
 * @property {HTMLSpanElement} activeCount
 * @property {{ severity: HTMLSelectElement, state: HTMLSelectElement, site: HTMLInputElement, device: HTMLInputElement, from: HTMLInputElement, to: HTMLInputElement }} filters
 * @property {HTMLTableSectionElement} historyRows
 * @property {HTMLParagraphElement} historyEmpty
 * @property {HTMLParagraphElement} historyError
 * @property {{ prev: HTMLButtonElement, next: HTMLButtonElement, text: HTMLSpanElement }} pager
 */
/** @type {AlertsPage | null} */
let page = null;

/** @param {Alert[]} list */
function sortAlerts(list) {
  return list.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.raisedAt - a.raisedAt);
}

/** @param {Alert} a */
function valueText(a) {
  return a.value === null || a.value === undefined ? '' : format(a.value, a.unit);
}

/**
 * The inline form that acknowledges or clears one alert, with an optional note.
 * @param {Alert} a
 * @param {'ack' | 'clear'} action
 * @param {HTMLElement} row
 */
function actionForm(a, action, row) {
  const note = el('input', 'note', undefined, { type: 'text', name: 'note', maxlength: 1000, placeholder: action === 'ack' ? 'Note (who is on it, what was done)…' : 'Why it can be cleared…', 'aria-label': 'Note' });
  const submit = el('button', 'button primary', action === 'ack' ? 'Acknowledge' : 'Clear', { type: 'submit' });
  const cancel = el('button', 'button', 'Cancel', { type: 'button' });
  const error = el('span', 'error');
  const form = el('form', 'alert-action', undefined, { 'data-action': action }, note, submit, cancel, error);
  cancel.addEventListener('click', () => form.remove());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    const body = note.value.trim() ? { note: note.value.trim() } : {};
    api('/alerts/' + encodeURIComponent(a.id) + '/' + action, { method: 'POST', body }).then(
      (/** @type {{ alert: Alert }} */ res) => {
        applyAlert(res.alert);
        renderActive();
        if (page) loadHistory();
      },
      (/** @type {Error} */ err) => {
        submit.disabled = false;
        error.textContent = err.message;
      },
    );
  });
  row.appendChild(form);
  note.focus();
  return form;
}

/** @param {Alert} a */
function alertRow(a) {
  const row = el('li', 'alert-row', undefined, { 'data-alert-id': a.id, 'data-severity': a.severity, 'data-state': a.state });
  const top = el('div', 'alert-top');
  top.appendChild(el('span', 'sev', a.severity, { 'data-severity': a.severity }));
  top.appendChild(el('span', 'msg', a.message || a.ruleName || a.attribute));
  top.appendChild(el('span', 'state-chip', a.state, { 'data-state': a.state }));
  row.appendChild(top);
  const meta = el('div', 'alert-meta muted small');
  meta.appendChild(el('a', null, a.device, { href: deviceHref(a.deviceId), title: a.deviceId }));
  meta.appendChild(el('span', null, ' · ' + a.site + ' / ' + a.room + ' · ' + a.attribute + (valueText(a) ? ' = ' + valueText(a) : '') + ' · raised ' + ago(a.raisedAt)));
  if (a.acknowledgedBy) meta.appendChild(el('span', 'ack-note', ' · acknowledged by ' + a.acknowledgedBy + (a.acknowledgeNote ? ': “' + a.acknowledgeNote + '”' : '')));
  row.appendChild(meta);
  const actions = el('div', 'alert-actions');
  if (a.state === 'active') {
    const ack = el('button', 'button', 'Acknowledge…', { type: 'button', 'data-action': 'ack' });
    ack.addEventListener('click', () => {
      if (!row.querySelector('form')) actionForm(a, 'ack', row);
    });
    actions.appendChild(ack);
  }
  const clear = el('button', 'button', 'Clear…', { type: 'button', 'data-action': 'clear' });
  clear.addEventListener('click', () => {
    row.querySelector('form')?.remove();
    actionForm(a, 'clear', row);
  });
  actions.appendChild(clear);
  top.appendChild(actions);
  return row;
}

function renderActive() {
  if (!page) return;
  const shown = page;
  // Keep a half-typed note: leave rows with an open form alone when their alert did not change.
  /** @type {Map<string, HTMLElement>} */
  const open = new Map();
  shown.active.querySelectorAll('li.alert-row').forEach((li) => {
    if (li instanceof HTMLElement && li.querySelector('form')) open.set(li.dataset.alertId + '\u0000' + li.dataset.state, li);
  });
  shown.active.textContent = '';
  const list = sortAlerts(Array.from(openAlerts.values()));
  list.forEach((a) => shown.active.appendChild(open.get(a.id + '\u0000' + a.state) || alertRow(a)));
  shown.activeEmpty.hidden = list.length > 0;
  shown.activeCount.textContent = list.length ? '(' + list.length + ')' : '';
}

/** @param {AlertsPage} p */
function historyFilters(p) {
  const f = p.filters;
  const from = f.from.value ? new Date(f.from.value).toISOString() : undefined;
  const to = f.to.value ? new Date(f.to.value).toISOString() : undefined;
  return { severity: f.severity.value, state: f.state.value, site: f.site.value.trim(), device: f.device.value.trim(), from, to, limit: PAGE, offset: p.offset };
}

function loadHistory() {
  if (!page) return;
  const mine = page;
  api('/alerts/history' + query(historyFilters(mine))).then(
    (/** @type {{ alerts: Alert[], total: number }} */ body) => {
      if (page !== mine) return;
      mine.historyError.textContent = '';
      const tbody = mine.historyRows;
      tbody.textContent = '';
      body.alerts.forEach((a) => {
        tbody.appendChild(
          el(
            'tr',
            null,
            undefined,
            { 'data-alert-id': a.id, 'data-state': a.state },
            el('td', 'nowrap', shortTime(a.raisedAt), { title: time(a.raisedAt) }),
            el('td', null, undefined, null, el('span', 'sev', a.severity, { 'data-severity': a.severity })),
            el('td', null, a.message || a.attribute),
            el('td', 'wide', undefined, null, el('a', null, a.device, { href: deviceHref(a.deviceId), title: a.deviceId })),
            el('td', null, undefined, null, el('span', 'state-chip', a.state, { 'data-state': a.state })),
            el('td', 'muted wide', a.clearedAt ? shortTime(a.clearedAt) + (a.clearedBy ? ' by ' + a.clearedBy : '') : ''),
            el('td', 'muted wide', a.acknowledgeNote || a.clearReason || ''),
          ),
        );
      });
      mine.historyEmpty.hidden = body.alerts.length > 0;
      const last = Math.min(body.total, mine.offset + body.alerts.length);
      mine.pager.text.textContent = body.total ? mine.offset + 1 + '–' + last + ' of ' + body.total : '';
      mine.pager.prev.disabled = mine.offset === 0;
      mine.pager.next.disabled = last >= body.total;
    },
    (/** @type {Error} */ err) => {
      if (page === mine) mine.historyError.textContent = 'history unavailable: ' + err.message;
    },
  );
}

/**
 * @param {string} name
 * @param {[string, string][]} options value and label
 */
function select(name, options) {
  const s = el('select', null, undefined, { name, 'aria-label': name });
  options.forEach(([value, label]) => s.appendChild(el('option', null, label, { value })));
  return s;
}

/** @param {HTMLElement} view */
function enter(view) {
  const filters = {
    severity: select('severity', [['', 'Any severity'], ['critical', 'Critical'], ['warning', 'Warning'], ['info', 'Info']]),
    state: select('state', [['', 'Any state'], ['active', 'Active'], ['acknowledged', 'Acknowledged'], ['cleared', 'Cleared']]),
    site: el('input', null, undefined, { type: 'text', name: 'site', placeholder: 'Site', 'aria-label': 'Site' }),
    device: el('input', null, undefined, { type: 'text', name: 'device', placeholder: 'Device id', 'aria-label': 'Device id' }),
    from: el('input', null, undefined, { type: 'datetime-local', name: 'from', 'aria-label': 'From' }),
    to: el('input', null, undefined, { type: 'datetime-local', name: 'to', 'aria-label': 'To' }),
  };
  const prev = el('button', 'button', '← Newer', { type: 'button' });
  const next = el('button', 'button', 'Older →', { type: 'button' });
  /** @type {AlertsPage} */
  const p = (page = {
    offset: 0,
    timers: [],
    active: el('ul', 'alert-list', undefined, { id: 'active-alerts' }),
    activeEmpty: el('p', 'empty', 'No open alert. All quiet.', { hidden: '' }),
    activeCount: el('span', 'muted'),
    filters,
    historyRows: el('tbody'),
    historyEmpty: el('p', 'muted', 'No alert matches.', { hidden: '' }),
    historyError: el('p', 'error'),
    pager: { prev, next, text: el('span', 'muted small') },
  });
  view.appendChild(el('section', 'alerts-active', undefined, null, el('h2', null, 'Open alerts ', null, p.activeCount), p.active, p.activeEmpty));

  const f = filters;
  const form = el('form', 'toolbar filters', undefined, { id: 'history-filters' }, f.severity, f.state, f.site, f.device, el('label', null, 'From ', null, f.from), el('label', null, 'To ', null, f.to), el('button', 'button', 'Filter', { type: 'submit' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    p.offset = 0;
    loadHistory();
  });
  [f.severity, f.state].forEach((s) => {
    s.addEventListener('change', () => {
      p.offset = 0;
      loadHistory();
    });
  });
  prev.addEventListener('click', () => {
    p.offset = Math.max(0, p.offset - PAGE);
    loadHistory();
  });
  next.addEventListener('click', () => {
    p.offset += PAGE;
    loadHistory();
  });
  const table = el('table', 'table', undefined, { id: 'alert-history' }, el('thead', null, undefined, null, el('tr', null, undefined, null, el('th', null, 'Raised'), el('th', null, 'Severity'), el('th', null, 'Message'), el('th', 'wide', 'Device'), el('th', null, 'State'), el('th', 'wide', 'Cleared'), el('th', 'wide', 'Note'))), p.historyRows);
  view.appendChild(el('section', 'alerts-history', undefined, null, el('h2', null, 'History'), form, p.historyError, el('div', 'table-wrap', undefined, null, table), p.historyEmpty, el('div', 'pager', undefined, null, prev, p.pager.text, next)));

  renderActive();
  loadHistory();
  // "raised 3 min ago" moves on; rows with an open form are kept.
  p.timers.push(setInterval(renderActive, 30000));
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let refreshHistory;
  const later = () => {
    // Transitions come in bursts: one history reload for a burst.
    clearTimeout(refreshHistory);
    refreshHistory = setTimeout(loadHistory, 500);
  };
  live('?scope=alerts', {
    snapshot: () => {
      renderActive();
      later();
    },
    alert: () => {
      renderActive();
      later();
    },
    alerts: renderActive,
  });
}

function leave() {
  if (page) page.timers.forEach(clearInterval);
  page = null;
}

/** @type {import('./types.js').Page} */
export const alertsPage = { title: 'Alerts', enter, leave };
