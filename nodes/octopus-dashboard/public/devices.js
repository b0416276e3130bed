// @ts-check
// Devices: the registry as a table; each row's metadata (name, room, kind, expected interval,
// controllable attributes) edited in place and saved with PATCH /devices/{id}.

import { api, query } from './api.js';
import { el } from './dom.js';
import { deviceHref } from './format.js';
import { live } from './live.js';

/** @typedef {import('./types.js').DeviceView} DeviceView */
/** @typedef {import('./types.js').ControlSpec} ControlSpec */

const PAGE = 100;

/**
 * The page's state while shown.
 * @typedef {object} DevicesPage
 * @property {number} offset
 * @property {object} [token] the latest load: an older answer that comes late is dropped
 * @property {{ q: HTMLInputElement, state: HTMLSelectElement }} filters
 * @property {HTMLTableSectionElement} rows
 * @property {HTMLDataListElement} kinds
 * @property {HTMLParagraphElement} empty
 * @property {HTMLParagraphElement} error
 * @property {{ prev: HTMLButtonElement, next: HTMLButtonElement, text: HTMLSpanElement }} pager
 */
/** @type {DevicesPage | null} */
let page = null;

/** @param {number | null | undefined} ms */
function seconds(ms) {
  if (ms === null || ms === undefined) return '';
  return ms % 60000 === 0 && ms >= 60000 ? ms / 60000 + ' min' : Math.round(ms / 1000) + ' s';
}

/** @param {DeviceView} d */
function controlsText(d) {
  return d.attributes
    .filter((a) => a.controllable)
    .map((a) => a.name + ' (' + a.controllable?.kind + ')')
    .join(', ');
}

/** @param {DeviceView} d */
function row(d) {
  const tr = el('tr', null, undefined, { 'data-device-id': d.deviceId });
  tr.appendChild(el('td', 'name-cell', undefined, null, el('a', 'name', d.name || d.device, { href: deviceHref(d.deviceId) }), el('div', 'muted small mono', d.deviceId)));
  tr.appendChild(el('td', 'wide', d.site));
  tr.appendChild(el('td', 'room', d.room));
  tr.appendChild(el('td', 'kind', d.kind || ''));
  tr.appendChild(el('td', null, undefined, null, el('span', 'badge', d.state, { 'data-state': d.state })));
  tr.appendChild(el('td', 'interval wide', d.expectedIntervalMs ? seconds(d.expectedIntervalMs) + ' (set)' : seconds(d.intervalMs)));
  tr.appendChild(el('td', 'controls-cell wide', controlsText(d)));
  const edit = el('button', 'button', 'Edit', { type: 'button', 'data-action': 'edit' });
  edit.addEventListener('click', () => openEditor(d, tr));
  tr.appendChild(el('td', null, undefined, null, edit));
  return tr;
}

/**
 * @param {string} label
 * @param {HTMLElement} input
 */
function field(label, input) {
  return el('label', 'field', undefined, null, el('span', null, label), input);
}

/**
 * The inputs of one attribute's control in the editor.
 * @typedef {{ name: string, kind: HTMLSelectElement, min: HTMLInputElement, max: HTMLInputElement, step: HTMLInputElement }} ControlInputs
 */

/**
 * @param {import('./types.js').AttributeView} a
 * @param {HTMLElement} controls where the row goes
 * @returns {ControlInputs}
 */
function controlRow(a, controls) {
  const spec = a.controllable || { kind: '' };
  const k = el('select', null, undefined, { name: 'control-kind', 'data-attribute': a.name, 'aria-label': a.name + ' control' });
  [['', 'not controllable'], ['switch', 'switch (on/off)'], ['level', 'level (slider)'], ['setpoint', 'setpoint']].forEach(([value, label]) => {
    k.appendChild(el('option', null, label, { value }));
  });
  k.value = spec.kind;
  /**
   * @param {string} n
   * @param {number | undefined} v
   */
  const num = (n, v) => {
    const i = el('input', 'small-num', undefined, { type: 'number', step: 'any', name: n, placeholder: n, 'aria-label': a.name + ' ' + n });
    if (v !== undefined) i.value = String(v);
    return i;
  };
  const min = num('min', 'min' in spec ? spec.min : undefined);
  const max = num('max', 'max' in spec ? spec.max : undefined);
  const step = num('step', 'step' in spec ? spec.step : undefined);
  const range = el('span', 'range-inputs', undefined, null, min, max, step);
  const sync = () => {
    range.hidden = k.value === '' || k.value === 'switch';
  };
  k.addEventListener('change', sync);
  sync();
  controls.appendChild(el('div', 'control-row', undefined, null, el('span', 'mono', a.name), k, range));
  return { name: a.name, kind: k, min, max, step };
}

/**
 * What the form changes of `d`: only changed fields are sent; empty clears. A string: what is wrong.
 * @param {DeviceView} d
 * @param {{ name: HTMLInputElement, room: HTMLInputElement, kind: HTMLInputElement, interval: HTMLInputElement }} inputs
 * @param {ControlInputs[]} rows
 * @returns {Record<string, unknown> | string}
 */
function patchOf(d, inputs, rows) {
  /** @type {Record<string, unknown>} */
  const patch = {};
  /**
   * @param {string} key
   * @param {HTMLInputElement} input
   * @param {string | null} current
   */
  const text = (key, input, current) => {
    const v = input.value.trim();
    if (v !== (current || '')) patch[key] = v === '' ? null : v;
  };
  text('name', inputs.name, d.name);
  text('kind', inputs.kind, d.kind);
  const room = inputs.room.value.trim();
  if (room !== d.room) patch.room = room === '' ? null : room;
  const ms = inputs.interval.value.trim() === '' ? null : Math.round(Number(inputs.interval.value) * 1000);
  if (ms !== (d.expectedIntervalMs || null)) patch.expectedIntervalMs = ms;
  /** @type {Record<string, ControlSpec>} */
  const specs = {};
  let bad = '';
  rows.forEach((r) => {
    const kind = r.kind.value;
    if (!kind) return;
    if (kind === 'switch') {
      specs[r.name] = { kind: 'switch' };
      return;
    }
    if ([r.min.value, r.max.value, r.step.value].some((v) => v.trim() === '')) bad = r.name + ': a ' + kind + ' needs min, max and step';
    specs[r.name] = { kind: kind === 'level' ? 'level' : 'setpoint', min: Number(r.min.value), max: Number(r.max.value), step: Number(r.step.value) };
  });
  if (bad) return bad;
  /** @type {Record<string, ControlSpec>} */
  const before = {};
  d.attributes.forEach((a) => {
    if (a.controllable) before[a.name] = a.controllable;
  });
  if (JSON.stringify(specs) !== JSON.stringify(before)) patch.controls = specs;
  return patch;
}

/**
 * The edit form for one device, in a row under it.
 * @param {DeviceView} d
 * @param {HTMLTableRowElement} tr
 */
function openEditor(d, tr) {
  const existing = tr.nextElementSibling;
  if (existing && existing.classList.contains('editor-row')) {
    existing.remove();
    return;
  }
  const name = el('input', null, undefined, { name: 'name', type: 'text', maxlength: 200 });
  name.value = d.name || '';
  const room = el('input', null, undefined, { name: 'room', type: 'text', maxlength: 200 });
  room.value = d.room;
  const kind = el('input', null, undefined, { name: 'kind', type: 'text', maxlength: 200, list: 'kinds' });
  kind.value = d.kind || '';
  const interval = el('input', null, undefined, { name: 'expectedInterval', type: 'number', min: 1, max: 604800, step: 1, placeholder: 'learned: ' + seconds(d.learnedIntervalMs || d.intervalMs) });
  interval.value = d.expectedIntervalMs ? String(Math.round(d.expectedIntervalMs / 1000)) : '';
  const controls = el('div', 'controls-editor');
  const rows = d.attributes.map((a) => controlRow(a, controls));
  if (rows.length === 0) controls.appendChild(el('span', 'muted', 'No attribute reported yet.'));
  const error = el('span', 'error');
  const save = el('button', 'button primary', 'Save', { type: 'submit' });
  const cancel = el('button', 'button', 'Cancel', { type: 'button' });
  const form = el('form', 'editor', undefined, { 'data-device-id': d.deviceId }, el('div', 'fields', undefined, null, field('Name', name), field('Room', room), field('Kind', kind), field('Expected interval (s)', interval)), el('div', 'field-title muted small', 'Controllable attributes'), controls, el('div', 'actions', undefined, null, save, cancel, error));
  const editorRow = el('tr', 'editor-row', undefined, null, el('td', null, undefined, { colspan: 8 }, form));
  cancel.addEventListener('click', () => editorRow.remove());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = patchOf(d, { name, room, kind, interval }, rows);
    if (typeof patch === 'string') {
      error.textContent = patch;
      return;
    }
    if (Object.keys(patch).length === 0) {
      editorRow.remove();
      return;
    }
    save.disabled = true;
    error.textContent = '';
    api('/devices/' + encodeURIComponent(d.deviceId), { method: 'PATCH', body: patch }).then(
      (/** @type {DeviceView} */ updated) => {
        editorRow.remove();
        const fresh = row(updated);
        tr.replaceWith(fresh);
        fresh.classList.add('saved');
      },
      (/** @type {Error} */ err) => {
        save.disabled = false;
        error.textContent = err.message;
      },
    );
  });
  tr.after(editorRow);
  name.focus();
}

function load() {
  if (!page) return;
  const mine = page;
  const token = (mine.token = {});
  const f = mine.filters;
  const q = f.q.value.trim();
  api('/devices' + query({ q, state: f.state.value, limit: PAGE, offset: mine.offset })).then(
    (/** @type {import('./types.js').ListPage<DeviceView>} */ body) => {
      if (page !== mine || mine.token !== token) return;
      mine.error.textContent = '';
      mine.rows.textContent = '';
      // Which search the rows answer (the search box may be ahead of them while its answer comes).
      mine.rows.dataset.query = q;
      /** @type {Set<string>} */
      const kinds = new Set();
      body.items.forEach((d) => {
        mine.rows.appendChild(row(d));
        if (d.kind) kinds.add(d.kind);
      });
      mine.kinds.textContent = '';
      Array.from(kinds)
        .concat(['thermostat', 'light', 'dimmer', 'power', 'humidity', 'door', 'motion', 'co2'])
        .forEach((k) => mine.kinds.appendChild(el('option', null, undefined, { value: k })));
      mine.empty.hidden = body.items.length > 0;
      const last = mine.offset + body.items.length;
      mine.pager.text.textContent = body.total ? mine.offset + 1 + '–' + last + ' of ' + body.total : '';
      mine.pager.prev.disabled = mine.offset === 0;
      mine.pager.next.disabled = last >= body.total;
    },
    (/** @type {Error} */ err) => {
      if (page === mine && mine.token === token) mine.error.textContent = 'registry unavailable: ' + err.message;
    },
  );
}

/** @param {HTMLElement} view */
function enter(view) {
  const q = el('input', null, undefined, { type: 'search', name: 'q', placeholder: 'Search name, id, room…', 'aria-label': 'Search devices' });
  const state = el('select', null, undefined, { name: 'state', 'aria-label': 'State' });
  [['', 'All states'], ['online', 'Online'], ['stale', 'Stale'], ['offline', 'Offline']].forEach(([value, label]) => state.appendChild(el('option', null, label, { value })));
  const prev = el('button', 'button', '← Previous', { type: 'button' });
  const next = el('button', 'button', 'Next →', { type: 'button' });
  /** @type {DevicesPage} */
  const p = (page = {
    offset: 0,
    filters: { q, state },
    rows: el('tbody'),
    kinds: el('datalist', null, undefined, { id: 'kinds' }),
    empty: el('p', 'empty', 'No device matches.', { hidden: '' }),
    error: el('p', 'error'),
    pager: { prev, next, text: el('span', 'muted small') },
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (page !== p) return;
      p.offset = 0;
      load();
    }, 250);
  });
  state.addEventListener('change', () => {
    p.offset = 0;
    load();
  });
  prev.addEventListener('click', () => {
    p.offset = Math.max(0, p.offset - PAGE);
    load();
  });
  next.addEventListener('click', () => {
    p.offset += PAGE;
    load();
  });
  const head = el('tr');
  ['Device', 'Site*', 'Room', 'Kind', 'State', 'Interval*', 'Controls*', ''].forEach((h) => {
    const wide = h.slice(-1) === '*';
    head.appendChild(el('th', wide ? 'wide' : null, wide ? h.slice(0, -1) : h));
  });
  const table = el('table', 'table registry', undefined, { id: 'registry' }, el('thead', null, undefined, null, head), p.rows);
  view.appendChild(el('section', 'devices-page', undefined, null, el('h2', null, 'Devices'), el('div', 'toolbar', undefined, null, q, state), p.error, el('div', 'table-wrap', undefined, null, table), p.kinds, p.empty, el('div', 'pager', undefined, null, prev, p.pager.text, next)));
  load();
  // Alerts only: the table is a snapshot of the registry, refreshed by the user.
  live('?scope=alerts', {});
}

function leave() {
  page = null;
}

/** @type {import('./types.js').Page} */
export const devicesPage = { title: 'Devices', enter, leave };
