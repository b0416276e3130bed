// @ts-check
// The Energy page's settings, folded away below the chart: the site's time zone and electricity
// tariff (with time-of-use windows), and what each attribute is (measurement, counter, state).
// Saving needs the owner's role; anyone else gets the API's sentence.

import { api } from './api.js';
import { el } from './dom.js';

/** @typedef {import('./types.js').EnergySettings} EnergySettings */
/** @typedef {import('./types.js').TariffWindow} TariffWindow */

/**
 * @param {string} value "HH:00"
 * @param {string} name
 */
function hourSelect(value, name) {
  const s = el('select', null, undefined, { name, 'aria-label': name });
  for (let h = 0; h <= 24; h++) {
    const v = (h < 10 ? '0' : '') + h + ':00';
    s.appendChild(el('option', null, v, { value: v }));
  }
  s.value = value;
  return s;
}

/** A window's row reads itself back when the form is saved. */
const readers = /** @type {WeakMap<Element, () => TariffWindow>} */ (new WeakMap());

/**
 * @param {TariffWindow} w
 * @param {HTMLElement} rows
 */
function windowRow(w, rows) {
  const from = hourSelect(w.from, 'from');
  const to = hourSelect(w.to, 'to');
  const price = el('input', null, undefined, { type: 'number', name: 'window-price', min: 0, step: 'any', 'aria-label': 'window price', value: w.price });
  const remove = el('button', 'button', '×', { type: 'button', 'aria-label': 'Remove window' });
  const row = el('div', 'tariff-window', undefined, null, from, el('span', 'muted', '–'), to, price, remove);
  readers.set(row, () => ({ from: from.value, to: to.value, price: Number(price.value) }));
  remove.addEventListener('click', () => row.remove());
  rows.appendChild(row);
}

/**
 * @param {string} site
 * @param {EnergySettings} settings
 * @param {(zone: string) => void} onZone
 */
function tariffForm(site, settings, onZone) {
  const zone = el('input', null, undefined, { type: 'text', name: 'timeZone', list: 'zones', 'aria-label': 'Time zone', value: settings.timeZone });
  const zones = el('datalist', null, undefined, { id: 'zones' });
  (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).forEach((z) => zones.appendChild(el('option', null, undefined, { value: z })));
  const t = settings.tariffs.energy || { currency: 'EUR', price: 0, windows: [] };
  const currency = el('input', null, undefined, { type: 'text', name: 'currency', maxlength: 3, 'aria-label': 'Currency', value: t.currency });
  const price = el('input', null, undefined, { type: 'number', name: 'price', min: 0, step: 'any', 'aria-label': 'Price per kWh', value: settings.tariffs.energy ? t.price : '' });
  const rows = el('div', 'tariff-windows');
  (t.windows || []).forEach((w) => windowRow(w, rows));
  const add = el('button', 'button', 'Add a time window', { type: 'button' });
  add.addEventListener('click', () => windowRow({ from: '22:00', to: '08:00', price: 0 }, rows));
  const save = el('button', 'button primary', 'Save', { type: 'submit' });
  const msg = el('p', 'error', '', { role: 'status' });
  const form = el('form', 'energy-form', undefined, null,
    el('label', 'field', undefined, null, el('span', null, 'Time zone'), zone), zones,
    el('label', 'field', undefined, null, el('span', null, 'Currency'), currency),
    el('label', 'field', undefined, null, el('span', null, 'Price per kWh (empty: no cost shown)'), price),
    el('div', 'muted small', 'Time-of-use windows, local time; the first that covers an hour prices it:'), rows, add, save, msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {EnergySettings['tariffs']} */
    const tariffs = {};
    if (price.value !== '') {
      const windows = Array.from(rows.children).flatMap((r) => {
        const read = readers.get(r);
        return read ? [read()] : [];
      });
      tariffs.energy = { currency: currency.value.toUpperCase(), price: Number(price.value), windows };
    }
    msg.className = 'muted small';
    msg.textContent = 'saving…';
    api('/sites/' + encodeURIComponent(site) + '/energy/settings', { method: 'PUT', body: { timeZone: zone.value.trim(), tariffs } }).then(
      (/** @type {EnergySettings} */ saved) => {
        msg.textContent = 'Saved.';
        onZone(saved.timeZone);
      },
      (/** @type {Error} */ err) => {
        msg.className = 'error';
        msg.textContent = err.message;
      },
    );
  });
  return form;
}

/** @param {import('./types.js').AttributeClassView} a */
function classText(a) {
  return a.source === 'user' ? 'as the device says, else by unit and name' : a.source === 'device' ? a.class + ', as the device says' : a.class;
}

/** @param {string} site */
function classes(site) {
  const box = el('div', 'classes', undefined, null, el('p', 'muted small', 'loading…'));
  api('/sites/' + encodeURIComponent(site) + '/energy/attributes').then(
    (/** @type {{ items: import('./types.js').AttributeClassView[] }} */ list) => {
      box.textContent = '';
      const numeric = list.items.filter((a) => a.class !== 'state' || a.source === 'user');
      if (numeric.length === 0) box.appendChild(el('p', 'muted small', 'No numeric attribute reported yet.'));
      numeric.forEach((a) => {
        const select = el('select', null, undefined, { 'aria-label': a.name + ' ' + a.attribute + ' class', 'data-device-id': a.deviceId, 'data-attribute': a.attribute });
        [['', 'automatic (' + classText(a) + ')'], ['measurement', 'measurement'], ['counter', 'counter (total, may reset)'], ['state', 'state']].forEach(([value, label]) => {
          select.appendChild(el('option', null, label, { value }));
        });
        select.value = a.source === 'user' ? a.class : '';
        const note = el('span', 'muted small', '');
        select.addEventListener('change', () => {
          note.textContent = 'saving…';
          api('/devices/' + encodeURIComponent(a.deviceId) + '/attributes/' + encodeURIComponent(a.attribute) + '/class', { method: 'PUT', body: { class: select.value || null } }).then(
            (/** @type {{ class: string }} */ saved) => {
              note.textContent = 'now ' + saved.class;
            },
            (/** @type {Error} */ err) => {
              note.textContent = err.message;
            },
          );
        });
        box.appendChild(el('div', 'class-row', undefined, null, el('span', null, a.name + ' · ' + a.attribute + (a.unit ? ' (' + a.unit + ')' : '')), select, note));
      });
    },
    (/** @type {Error} */ err) => {
      box.textContent = 'Could not load the attributes: ' + err.message;
    },
  );
  return box;
}

/**
 * The settings block for a site; `onZone` hears a saved time zone (the chart reloads in it).
 * @param {string} site
 * @param {(zone: string) => void} onZone
 */
export function energySettings(site, onZone) {
  const wrap = el('div', 'energy-settings');
  const tariff = el('details', 'card', undefined, null, el('summary', null, 'Time zone and tariff'), el('p', 'muted small', 'loading…'));
  const cls = el('details', 'card', undefined, null, el('summary', null, 'Counters and classes'));
  tariff.addEventListener('toggle', function once() {
    tariff.removeEventListener('toggle', once);
    api('/sites/' + encodeURIComponent(site) + '/energy/settings').then(
      (/** @type {EnergySettings} */ s) => {
        tariff.lastChild?.remove();
        tariff.appendChild(tariffForm(site, s, onZone));
      },
      (/** @type {Error} */ err) => {
        if (tariff.lastChild) tariff.lastChild.textContent = 'Could not load the settings: ' + err.message;
      },
    );
  });
  cls.addEventListener('toggle', function once() {
    cls.removeEventListener('toggle', once);
    cls.appendChild(classes(site));
  });
  wrap.appendChild(tariff);
  wrap.appendChild(cls);
  return wrap;
}
