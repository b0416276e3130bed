// @ts-check
// Overview: sites → rooms → device cards with the latest values, state and open alerts, live.

import { css, el } from './dom.js';
import { ago, deviceHref, format } from './format.js';
import { live } from './live.js';
import { openAlerts } from './open-alerts.js';
import { sparklines } from './sparklines.js';

/** @typedef {import('./types.js').Alert} Alert */
/** @typedef {import('./types.js').LiveDevice} LiveDevice */
/** @typedef {import('./types.js').LiveReading} LiveReading */
/** @typedef {import('./types.js').LiveValue} LiveValue */
/** @typedef {import('./types.js').Snapshot} Snapshot */

/**
 * One attribute's line on a card: its value, age and sparkline.
 * @typedef {object} Row
 * @property {HTMLDivElement} el
 * @property {HTMLSpanElement} value
 * @property {HTMLSpanElement} age
 * @property {number} ts
 * @property {number} [changedAt]
 * @property {import('./sparklines.js').Spark} [spark]
 */

/**
 * A device's card.
 * @typedef {{ card: HTMLElement, rows: Map<string, Row>, name: HTMLAnchorElement, badge: HTMLSpanElement, alerts?: HTMLUListElement }} Card
 */

/** @type {Record<string, number>} */
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

/**
 * The page's state while shown.
 * @typedef {object} Overview
 * @property {HTMLElement} sitesEl
 * @property {HTMLElement} emptyEl
 * @property {HTMLInputElement} searchEl
 * @property {HTMLSelectElement} stateEl
 * @property {HTMLSelectElement} siteEl
 * @property {HTMLElement} countEl
 * @property {Map<string, LiveDevice>} devices
 * @property {Map<string, Card>} cards
 * @property {Map<string, Map<string, Alert>>} alertsByDevice
 * @property {ReturnType<typeof setInterval>[]} timers
 * @property {ReturnType<typeof sparklines>} sparks
 * @property {string} accent
 */
/** @type {Overview} */
let o;

/**
 * The rooms (or devices) container of the site (or room) section `key` under `parent`, made on first use.
 * @param {Element} parent
 * @param {'site' | 'room'} cls
 * @param {string} key
 * @param {string} title
 * @param {'h2' | 'h3'} tag
 * @returns {HTMLElement}
 */
function group(parent, cls, key, title, tag) {
  /** @type {HTMLElement | null} */
  let found = null;
  for (const child of parent.children) {
    if (child instanceof HTMLElement && child.dataset.key === key) found = child;
  }
  if (found) return /** @type {HTMLElement} */ (found.querySelector(':scope > .devices, :scope > .rooms'));
  const section = el('section', cls, undefined, { 'data-key': key });
  section.appendChild(el(tag, null, title));
  const inner = cls === 'room' ? el('div', 'devices') : el('div', 'rooms');
  section.appendChild(inner);
  // keep sections sorted by name
  /** @type {Element | null} */
  let after = null;
  for (const child of parent.children) {
    if (child instanceof HTMLElement && (child.dataset.key ?? '') > key) {
      after = child;
      break;
    }
  }
  parent.insertBefore(section, after);
  return inner;
}

/**
 * @param {Card} entry
 * @param {string} deviceId
 * @param {string} name
 * @param {LiveValue} attr
 */
function attrRow(entry, deviceId, name, attr) {
  const value = el('span', 'value', format(attr.value, attr.unit));
  value.dataset.deviceId = deviceId;
  value.dataset.attribute = name;
  const age = el('span', 'age', 'updated ' + ago(attr.ts));
  /** @type {Row} */
  const row = { el: el('div', 'attr', undefined, null, el('span', 'label', name), value, age), value, age, ts: attr.ts };
  row.spark = o.sparks.add(row.el, attr.value);
  entry.rows.set(name, row);
  entry.card.appendChild(row.el);
  return row;
}

/** @param {LiveDevice} d */
function renderDevice(d) {
  o.devices.set(d.deviceId, d);
  let entry = o.cards.get(d.deviceId);
  if (!entry) {
    const siteInner = group(o.sitesEl, 'site', d.site, d.site, 'h2');
    const roomInner = group(siteInner, 'room', d.site + '\u0000' + d.room, d.room || '(no room)', 'h3');
    const card = el('article', 'device', undefined, { 'data-device-id': d.deviceId });
    const name = el('a', 'name', d.name || d.device, { href: deviceHref(d.deviceId), title: d.deviceId });
    const badge = el('span', 'badge', d.state || 'online', { 'data-state': d.state || 'online' });
    card.appendChild(el('header', null, undefined, null, name, badge));
    roomInner.appendChild(card);
    entry = { card, rows: new Map(), name, badge };
    o.cards.set(d.deviceId, entry);
    addSiteOption(d.site);
  } else {
    entry.name.textContent = d.name || d.device;
    entry.badge.textContent = d.state || 'online';
    entry.badge.dataset.state = d.state || 'online';
  }
  entry.card.dataset.state = d.state || 'online';
  const card = entry;
  Object.keys(d.attributes || {})
    .sort()
    .forEach((k) => {
      const a = d.attributes[k];
      const row = card.rows.get(k);
      if (!row) attrRow(card, d.deviceId, k, a);
      else setValue(row, a);
    });
  renderAlerts(d.deviceId);
  applyFilter(entry);
  updateEmpty();
}

/**
 * @param {Row} row
 * @param {LiveValue} a
 */
function setValue(row, a) {
  if (a.ts < row.ts) return;
  row.ts = a.ts;
  row.value.textContent = format(a.value, a.unit);
  // A highlight by the Web Animations API: restarting a CSS animation would force a layout per value.
  // Highlight a change only where changes are news (a value quiet for 5 s): on values that change
  // every second the highlights would never stop, and the page would repaint every frame for them.
  const t = Date.now();
  if (row.value.animate && !(row.changedAt !== undefined && row.changedAt > t - 5000)) {
    row.value.animate([{ color: o.accent }, { color: 'inherit' }], { duration: 800, easing: 'ease-out' });
  }
  row.changedAt = t;
  const age = 'updated ' + ago(a.ts);
  if (row.age.textContent !== age) row.age.textContent = age;
  o.sparks.push(row.spark, a.value);
}

/** @param {LiveReading} r */
function applyReading(r) {
  const d = o.devices.get(r.deviceId) || { deviceId: r.deviceId, site: r.site, room: r.room, device: r.device, attributes: {} };
  d.attributes[r.attribute] = { value: r.value, unit: r.unit, ts: r.ts };
  const entry = o.cards.get(r.deviceId);
  const row = entry && entry.rows.get(r.attribute);
  if (row) {
    o.devices.set(d.deviceId, d);
    setValue(row, d.attributes[r.attribute]);
  } else {
    renderDevice(d);
  }
}

/** @param {string} deviceId */
function renderAlerts(deviceId) {
  const entry = o.cards.get(deviceId);
  if (!entry) return;
  const open = Array.from((o.alertsByDevice.get(deviceId) || new Map()).values());
  if (!entry.alerts) {
    if (open.length === 0) return;
    entry.alerts = el('ul', 'alerts');
    entry.card.insertBefore(entry.alerts, entry.card.children[1] || null);
  }
  const list = entry.alerts;
  list.textContent = '';
  open.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  open.forEach((a) => {
    const li = el('li', 'alert', a.message || a.attribute);
    li.dataset.severity = a.severity;
    li.dataset.state = a.state;
    li.dataset.alertId = a.id;
    list.appendChild(li);
  });
  entry.card.dataset.alert = open.length ? open[0].severity : '';
  applyFilter(entry);
}

function resetAlerts() {
  const before = Array.from(o.alertsByDevice.keys());
  o.alertsByDevice = new Map();
  openAlerts.forEach((a) => {
    const byId = o.alertsByDevice.get(a.deviceId) || new Map();
    byId.set(a.id, a);
    o.alertsByDevice.set(a.deviceId, byId);
  });
  before.concat(Array.from(o.alertsByDevice.keys())).forEach(renderAlerts);
}

/** @param {Alert} a */
function applyAlert(a) {
  const byId = o.alertsByDevice.get(a.deviceId) || new Map();
  if (a.state === 'cleared') byId.delete(a.id);
  else byId.set(a.id, a);
  o.alertsByDevice.set(a.deviceId, byId);
  renderAlerts(a.deviceId);
}

/** @param {Snapshot} data */
function snapshot(data) {
  const seen = new Set();
  (data.devices || []).forEach((d) => {
    seen.add(d.deviceId);
    renderDevice(d);
  });
  // devices forgotten while we were away
  o.cards.forEach((_entry, id) => {
    if (!seen.has(id)) removeDevice(id);
  });
  resetAlerts();
  updateEmpty();
}

/** @param {string} id */
function removeDevice(id) {
  const entry = o.cards.get(id);
  if (entry) {
    entry.rows.forEach((row) => o.sparks.remove(row.spark));
    entry.card.remove();
  }
  o.cards.delete(id);
  o.devices.delete(id);
  updateEmpty();
}

/** @param {string} site */
function addSiteOption(site) {
  const options = Array.from(o.siteEl.options);
  if (options.some((x) => x.value === site)) return;
  const after = options.slice(1).find((x) => x.value > site) || null;
  o.siteEl.insertBefore(el('option', null, site, { value: site }), after);
}

/** @param {Card} entry */
function applyFilter(entry) {
  const q = o.searchEl.value.trim().toLowerCase();
  const state = o.stateEl.value;
  const site = o.siteEl.value;
  const d = o.devices.get(entry.card.dataset.deviceId ?? '');
  if (!d) return;
  const text = [d.site, d.room, d.device, d.name || '', Object.keys(d.attributes || {}).join(' ')].join(' ').toLowerCase();
  let visible = (q === '' || text.indexOf(q) >= 0) && (site === '' || d.site === site);
  if (state === 'alerting') visible = visible && !!entry.card.dataset.alert;
  else if (state) visible = visible && (d.state || 'online') === state;
  entry.card.hidden = !visible;
}

function applyFilters() {
  o.cards.forEach(applyFilter);
  // Hide rooms and sites left without a visible card.
  o.sitesEl.querySelectorAll('.room').forEach((room) => {
    /** @type {HTMLElement} */ (room).hidden = !room.querySelector('article.device:not([hidden])');
  });
  o.sitesEl.querySelectorAll('.site').forEach((site) => {
    /** @type {HTMLElement} */ (site).hidden = !site.querySelector('.room:not([hidden])');
  });
  updateEmpty();
}

function updateEmpty() {
  let visible = 0;
  o.cards.forEach((e) => {
    if (!e.card.hidden) visible++;
  });
  o.emptyEl.hidden = visible > 0;
  o.emptyEl.textContent = o.devices.size === 0 ? 'No device has reported yet. Start the simulator with “npm run simulate”.' : 'No device matches the filter.';
  o.countEl.textContent = o.devices.size === 0 ? '' : visible + ' of ' + o.devices.size + ' devices';
}

/** @param {HTMLElement} view */
function enter(view) {
  const searchEl = el('input', null, undefined, { id: 'search', type: 'search', placeholder: 'Search sites, rooms, devices…', 'aria-label': 'Search' });
  const stateEl = el('select', null, undefined, { id: 'state-filter', 'aria-label': 'State' });
  [['', 'All states'], ['online', 'Online'], ['stale', 'Stale'], ['offline', 'Offline'], ['alerting', 'With alerts']].forEach(([value, label]) => {
    stateEl.appendChild(el('option', null, label, { value }));
  });
  const siteEl = el('select', null, undefined, { id: 'site-filter', 'aria-label': 'Site' });
  siteEl.appendChild(el('option', null, 'All sites', { value: '' }));
  const countEl = el('span', 'count muted');
  const sitesEl = el('div', null, undefined, { id: 'sites', 'aria-live': 'polite' });
  const emptyEl = el('p', 'empty', undefined, { id: 'empty', hidden: '' });
  const accent = css('--accent', '#2f7fbf');
  o = {
    sitesEl, emptyEl, searchEl, stateEl, siteEl, countEl,
    devices: new Map(),
    cards: new Map(),
    alertsByDevice: new Map(),
    accent,
    sparks: sparklines(accent),
    timers: [],
  };
  view.appendChild(el('div', 'overview', undefined, null, el('div', 'toolbar', undefined, null, searchEl, stateEl, siteEl, countEl), sitesEl, emptyEl));
  [searchEl, stateEl, siteEl].forEach((c) => c.addEventListener('input', applyFilters));
  o.timers = [
    setInterval(() => {
      o.cards.forEach((entry) => {
        entry.rows.forEach((row) => {
          row.age.textContent = 'updated ' + ago(row.ts);
        });
      });
    }, 5000),
    setInterval(() => o.sparks.draw(), 1000),
  ];
  live('?scope=overview', {
    snapshot: (data) => {
      snapshot(data);
      applyFilters();
    },
    readings: (list) => list.forEach(applyReading),
    device: renderDevice,
    removed: (d) => removeDevice(d.deviceId),
    alert: (t) => applyAlert(t.alert),
    alerts: resetAlerts,
  });
}

function leave() {
  o.timers.forEach(clearInterval);
  o.sparks.close();
}

/** @type {import('./types.js').Page} */
export const overviewPage = { title: 'Overview', enter, leave };
