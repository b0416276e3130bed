// @ts-check
// Shared by the home-automation pages (scenes, schedules, automations, logbook): the site picker,
// the caller's role, the states every page explains (loading, empty, error), weekday names.

import { api } from './api.js';
import { el } from './dom.js';
import { time } from './format.js';
import { live } from './live.js';
import { session } from './session.js';

export { api, el, time };

/** The signed-in user (GET /auth/me), once the session is read. @type {import('./types.js').Me | null} */
let me = null;
session.then((m) => {
  me = m;
});

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** @param {string} site @returns {'owner' | 'resident' | 'viewer' | null} */
export function roleAt(site) {
  if (!me) return null;
  if (me.operator) return 'owner';
  const role = me.sites && me.sites[site];
  return role === 'owner' || role === 'resident' || role === 'viewer' ? role : null;
}

/** @param {string} s */
export const enc = (s) => encodeURIComponent(s);

/** A line saying what is going on, and what to do. @param {string} kind @param {string} text */
export function note(kind, text) {
  return el('p', kind === 'error' ? 'error' : 'muted', text, { role: 'status', 'data-state': kind });
}

/**
 * Resolves the site a page shows: the one in the route, else the only or first the caller sees; draws
 * a picker when there are several. @param {HTMLElement} root @param {string | undefined} wanted
 * @param {string} page the route name (#/<page>/<site>)
 * @param {import('./types.js').StreamHandlers} [handlers] what the page follows on the live stream
 * @returns {Promise<string | null>}
 */
export async function pickSite(root, wanted, page, handlers = {}) {
  // The page's live stream: the connection badge and the open-alerts count stay current here too.
  live('?scope=alerts', handlers);
  const status = note('loading', 'Loading your sites…');
  root.appendChild(status);
  await session;
  let sites;
  try {
    sites = (await api('/sites')).items.map((/** @type {{site: string}} */ s) => s.site);
  } catch (err) {
    status.replaceWith(note('error', `Could not load your sites: ${/** @type {Error} */ (err).message}. Check the connection and reload.`));
    return null;
  }
  status.remove();
  if (sites.length === 0) {
    root.appendChild(note('empty', 'No site (house) has reported a device yet, or your account has no role at one. Ask the house owner to invite you.'));
    return null;
  }
  const site = wanted && sites.includes(decodeURIComponent(wanted)) ? decodeURIComponent(wanted) : sites[0];
  if (sites.length > 1) {
    const select = /** @type {HTMLSelectElement} */ (el('select', null, undefined, { 'aria-label': 'Site' }));
    sites.forEach((/** @type {string} */ s) => select.appendChild(el('option', null, s, { value: s })));
    select.value = site;
    select.addEventListener('change', () => (location.hash = `#/${page}/${enc(select.value)}`));
    root.appendChild(el('label', 'field site-pick', undefined, null, el('span', null, 'Site'), select));
  }
  return site;
}

/** A labelled form field. @param {string} label @param {HTMLElement} input */
export function field(label, input) {
  return el('label', 'field', undefined, null, el('span', null, label), input);
}

/** @param {Record<string, unknown>} attrs */
export function input(attrs) {
  return /** @type {HTMLInputElement} */ (el('input', null, undefined, attrs));
}

/** @param {Array<[string, string]>} options @param {Record<string, unknown>} attrs */
export function select(options, attrs) {
  const s = /** @type {HTMLSelectElement} */ (el('select', null, undefined, attrs));
  options.forEach(([value, text]) => s.appendChild(el('option', null, text, { value })));
  return s;
}

/**
 * The site's device attributes: [{deviceId, attribute, label, controllable}] (controllable: a command may set it).
 * @param {string} site
 */
export async function attributes(site) {
  const list = await api(`/devices?site=${enc(site)}&limit=500`);
  /** @type {Array<{deviceId: string, attribute: string, label: string, controllable: boolean, value: unknown}>} */
  const out = [];
  for (const d of list.items) {
    for (const a of d.attributes) out.push({ deviceId: d.deviceId, attribute: a.name, label: `${d.name || d.deviceId} · ${a.name}`, controllable: a.controllable !== null, value: a.value });
  }
  return out;
}

/** "true"/"on" → true, numbers → numbers, else the text. @param {string} v */
export function parseValue(v) {
  const w = v.trim().toLowerCase();
  if (w === 'true' || w === 'on') return true;
  if (w === 'false' || w === 'off') return false;
  return w !== '' && Number.isFinite(Number(w)) ? Number(w) : v.trim();
}
