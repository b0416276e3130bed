// @ts-check
// Houses and devices (/ui/onboarding): operators create houses; owners add devices and hubs, get
// their broker credentials once with ready-to-paste settings per firmware, wait for the first
// reading, rotate or revoke credentials, and invite people. Everything goes through /api/v1.

/** @typedef {{ site: string, name: string | null, timeZone: string, latitude: number | null, longitude: number | null }} House */
/** @typedef {{ id: number, site: string, kind: 'device' | 'hub', name: string, room: string | null, firmware: string, username: string, clientId: string, revokedAt: string | null }} BrokerCredential */
/** @typedef {{ firmware: string, title: string, where: string, text: string }} Snippet */
/** @typedef {{ credential: BrokerCredential, password: string, snippets: Snippet[], hubBundle: null | { mosquittoConf: string, caCert: string | null, username: string, password: string, central: string } }} Issued */
/** @typedef {{ state: 'waiting' | 'reading' | 'problem' | 'revoked', message: string }} FirstReading */
/** @typedef {{ user: { username: string }, operator: boolean, sites: Record<string, string>, csrfToken: string }} Me */

const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="octopus-api-base"]'));
const API = meta && meta.content && !meta.content.startsWith('{{') ? meta.content : '/api/v1';
const POLL_MS = 2000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {Me | null} */
let me = null;
/** @type {string | null} */
let current = null;
let polling = 0;

/** @param {string} text @param {'info' | 'error' | 'offline'} [kind] */
function showStatus(text, kind = 'info') {
  const s = $('ob-status');
  s.textContent = text;
  s.dataset.kind = kind;
}

/**
 * One API call; errors become the API's own sentence (or what went wrong on the way).
 * @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrfToken;
  let res;
  try {
    res = await fetch(API + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Error(navigator.onLine ? 'Octopus does not answer: is the server running? Try again in a moment.' : 'You are offline: reconnect, then try again.');
  }
  if (res.status === 401) {
    location.replace('login');
    throw new Error('Your session has ended: sign in again.');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `The server answered ${res.status}.`);
  return data;
}

/**
 * @param {string} tag @param {string} [cls] @param {string} [text] @param {Record<string, string>} [attrs]
 * @returns {HTMLElement}
 */
function el(tag, cls, text, attrs) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

/** @param {string} text @param {HTMLButtonElement} button */
async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy by hand';
  }
  setTimeout(() => (button.textContent = 'Copy'), 2500);
}

/** @param {string} name @param {string} text @param {string} type */
function download(name, text, type) {
  const a = /** @type {HTMLAnchorElement} */ (el('a', 'button', `Download ${name}`, { download: name }));
  a.href = URL.createObjectURL(new Blob([text], { type }));
  return a;
}

/** @param {HTMLFormElement} form @param {(data: FormData) => Promise<void>} handle */
function onSubmit(form, handle) {
  const error = /** @type {HTMLElement} */ (form.querySelector('.error'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
    button.disabled = true;
    error.textContent = '';
    try {
      await handle(new FormData(form));
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
    } finally {
      button.disabled = false;
    }
  });
}

/** @param {FormData} d @param {string} k */
const field = (d, k) => String(d.get(k) || '').trim();

async function loadHouses() {
  /** @type {{ items: House[] }} */
  const { items } = await api('GET', '/houses');
  const own = Object.keys(me?.sites || {}).filter((s) => me?.sites[s] === 'owner');
  const sites = new Map(items.map((h) => [h.site, h]));
  for (const s of own) if (!sites.has(s)) sites.set(s, { site: s, name: null, timeZone: 'UTC', latitude: null, longitude: null });
  const list = $('house-list');
  list.replaceChildren();
  for (const h of [...sites.values()].sort((a, b) => a.site.localeCompare(b.site))) {
    const manages = me?.operator || me?.sites[h.site] === 'owner';
    const li = el('li', undefined, undefined, { 'data-site': h.site });
    li.append(el('span', 'grow', `${h.name || h.site}`), el('span', 'muted small', `${h.site} · ${h.timeZone}`));
    if (manages) {
      const open = /** @type {HTMLButtonElement} */ (el('button', 'button', 'Open', { type: 'button' }));
      open.addEventListener('click', () => openHouse(h.site, h.name || h.site));
      li.append(open);
    }
    if (h.site === current) li.setAttribute('aria-current', 'true');
    list.append(li);
  }
  $('house-empty').hidden = sites.size > 0;
  if (!current && sites.size === 1) {
    const only = [...sites.values()][0];
    if (me?.operator || me?.sites[only.site] === 'owner') await openHouse(only.site, only.name || only.site);
  }
}

/** @param {string} site @param {string} name */
async function openHouse(site, name) {
  current = site;
  $('house').hidden = false;
  $('house-title').textContent = name === site ? `House ${site}` : `${name} (${site})`;
  $('issued').hidden = true;
  $('hub-bundle').hidden = true;
  $('invite-link').hidden = true;
  for (const li of $('house-list').querySelectorAll('li')) li.toggleAttribute('aria-current', li.getAttribute('data-site') === site);
  await loadCredentials();
}

async function loadCredentials() {
  if (!current) return;
  /** @type {{ items: BrokerCredential[], broker: string }} */
  const { items, broker } = await api('GET', `/sites/${encodeURIComponent(current)}/device-credentials`);
  const list = $('credential-list');
  list.replaceChildren();
  for (const c of items) {
    const li = el('li', undefined, undefined, { 'data-credential': String(c.id) });
    li.append(el('span', 'grow', `${c.kind === 'hub' ? 'Hub' : 'Device'} “${c.name}”${c.room ? ` · ${c.room}` : ''}`), el('span', 'muted small mono', c.clientId));
    if (c.revokedAt) li.append(el('span', 'muted small', 'revoked'));
    else {
      const rotate = /** @type {HTMLButtonElement} */ (el('button', 'button', 'New password', { type: 'button' }));
      rotate.addEventListener('click', () => act(async () => showIssued(await api('POST', `/device-credentials/${c.id}/rotate`))));
      const revoke = /** @type {HTMLButtonElement} */ (el('button', 'button', 'Revoke', { type: 'button' }));
      revoke.addEventListener('click', () => {
        if (!confirm(`Cut “${c.name}” off now? It is disconnected at once and cannot log in again.`)) return;
        act(async () => {
          await api('DELETE', `/device-credentials/${c.id}`);
          showStatus(`“${c.name}” is revoked: the broker has disconnected it.`);
          await loadCredentials();
        });
      });
      li.append(rotate, revoke);
    }
    list.append(li);
  }
  $('credential-empty').hidden = items.length > 0;
  if (broker === 'none') showStatus('Devices are added through the broker\'s admin client, which this server has not reached yet: adding one tells you what is missing.');
}

/** @param {() => Promise<void>} work */
function act(work) {
  work().catch((err) => showStatus(/** @type {Error} */ (err).message, 'error'));
}

/** @param {Issued} issued */
function showIssued(issued) {
  if (issued.hubBundle) return showHubBundle(issued);
  const box = $('snippets');
  box.replaceChildren();
  // Its own firmware's settings and the test line open; the other firmwares folded below.
  const others = /** @type {HTMLDetailsElement} */ (el('details'));
  others.append(el('summary', undefined, 'Settings for other firmwares'));
  for (const [i, s] of issued.snippets.entries()) {
    const copyButton = /** @type {HTMLButtonElement} */ (el('button', 'button', 'Copy', { type: 'button', 'data-copy': s.firmware }));
    copyButton.addEventListener('click', () => copy(s.text, copyButton));
    const header = el('header');
    header.append(el('strong', undefined, s.title), copyButton);
    const section = el('section', 'ob-snippet', undefined, { 'data-firmware': s.firmware });
    section.append(header, el('div', 'muted small', s.where), el('pre', 'mono', s.text));
    (i < 2 ? box : others).append(section);
  }
  box.append(others);
  $('issued').hidden = false;
  watchFirstReading(issued.credential.id);
  void loadCredentials();
}

/** @param {Issued} issued */
function showHubBundle(issued) {
  const b = /** @type {NonNullable<Issued['hubBundle']>} */ (issued.hubBundle);
  const box = $('hub-bundle');
  box.replaceChildren(
    el('p', 'ob-warn', 'Shown once: save the files on the hub now (mosquitto.conf and, beside it, certs/central-ca.crt), then start its Mosquitto.'),
    download('mosquitto.conf', b.mosquittoConf, 'text/plain'),
  );
  if (b.caCert) box.append(download('central-ca.crt', b.caCert, 'application/x-pem-file'));
  else box.append(el('p', 'muted', 'This server has no CA certificate to hand out (OCTOPUS_MQTT_CA_FILE): copy the central broker\'s CA to the hub yourself.'));
  box.append(el('p', 'muted small mono', `central ${b.central} · user ${b.username}`));
  box.hidden = false;
  void loadCredentials();
}

/** @param {number} id */
function watchFirstReading(id) {
  const mine = ++polling;
  const box = $('first-reading');
  box.dataset.state = 'waiting';
  box.textContent = 'Waiting for the first message from the device… (this page checks every few seconds)';
  const tick = async () => {
    if (mine !== polling) return;
    try {
      /** @type {{ firstReading: FirstReading }} */
      const { firstReading } = await api('GET', `/device-credentials/${id}`);
      box.dataset.state = firstReading.state;
      box.textContent = firstReading.message;
      if (firstReading.state === 'reading' || firstReading.state === 'revoked') return;
    } catch (err) {
      box.dataset.state = 'problem';
      box.textContent = `${/** @type {Error} */ (err).message} Still trying…`;
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, 500);
}

function wireForms() {
  const zones = $('ob-zones');
  for (const z of Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []) zones.append(el('option', undefined, undefined, { value: z }));
  onSubmit(/** @type {HTMLFormElement} */ ($('house-form')), async (d) => {
    const lat = field(d, 'latitude');
    const lon = field(d, 'longitude');
    /** @type {House} */
    const h = await api('POST', '/houses', { site: field(d, 'site'), name: field(d, 'name'), timeZone: field(d, 'timeZone'), ...(lat ? { latitude: Number(lat) } : {}), ...(lon ? { longitude: Number(lon) } : {}) });
    showStatus(`House “${h.name}” created. Invite its owner below.`);
    await loadHouses();
    await openHouse(h.site, h.name || h.site);
  });
  onSubmit(/** @type {HTMLFormElement} */ ($('device-form')), async (d) => {
    if (!current) throw new Error('Open a house first.');
    const room = field(d, 'room');
    const kind = field(d, 'kind');
    const issued = await api('POST', `/sites/${encodeURIComponent(current)}/device-credentials`, { name: field(d, 'name'), firmware: field(d, 'firmware'), ...(room ? { room } : {}), ...(kind ? { kind } : {}) });
    showIssued(issued);
  });
  onSubmit(/** @type {HTMLFormElement} */ ($('hub-form')), async (d) => {
    if (!current) throw new Error('Open a house first.');
    showIssued(await api('POST', `/sites/${encodeURIComponent(current)}/hubs`, { name: field(d, 'name') }));
  });
  onSubmit(/** @type {HTMLFormElement} */ ($('invite-form')), async (d) => {
    if (!current) throw new Error('Open a house first.');
    const email = field(d, 'email');
    const made = await api('POST', `/sites/${encodeURIComponent(current)}/invitations`, { role: field(d, 'role'), ...(email ? { email } : {}) });
    const link = new URL(made.acceptPath.replace(/^\/ui\//, ''), location.href).href;
    const copyButton = /** @type {HTMLButtonElement} */ (el('button', 'button', 'Copy', { type: 'button' }));
    copyButton.addEventListener('click', () => copy(link, copyButton));
    const box = $('invite-link');
    box.replaceChildren(el('p', 'muted', `Send this link to the person (valid 7 days, once): they choose a username and password and join as ${made.invitation.role}.`), el('pre', 'mono', link), copyButton);
    box.hidden = false;
  });
}

async function main() {
  window.addEventListener('offline', () => showStatus('You are offline: what you do now will not reach Octopus. Reconnect to continue.', 'offline'));
  window.addEventListener('online', () => showStatus('Back online.'));
  wireForms();
  try {
    me = await api('GET', '/auth/me');
  } catch (err) {
    showStatus(/** @type {Error} */ (err).message, 'error');
    return;
  }
  if (!me) return;
  $('user').textContent = me.user.username;
  $('house-create').hidden = !me.operator;
  for (const o of document.querySelectorAll('option[data-operator]')) /** @type {HTMLOptionElement} */ (o).hidden = !me.operator;
  try {
    await loadHouses();
    showStatus('');
  } catch (err) {
    showStatus(`Your houses could not be loaded: ${/** @type {Error} */ (err).message}`, 'error');
  }
}

void main();

export {};
