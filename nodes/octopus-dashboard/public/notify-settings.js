// @ts-check
/**
 * The settings of the notification centre (notify.js): the signed-in person's channels (e-mail,
 * webhook, Telegram; secrets go in and never come back) and, per site they see, what reaches them
 * (minimum severity, channels, the app, quiet hours in the site's time zone, criticals through).
 * Everything through /api/v1/notify/…; each form says what went wrong in a sentence.
 */

import { el as domEl } from './dom.js';

/** @typedef {{ id: number, kind: string, name: string, config: Record<string, string>, enabled: boolean, hasSecret: boolean }} Channel */
/** @typedef {{ site: string, minSeverity: string, channelIds: number[], inapp: boolean, quietHours: string | null, criticalBreaksThrough: boolean }} Prefs */
/** @typedef {(path: string, options?: { method?: string, body?: unknown }) => Promise<any>} Api */

/**
 * The dashboard's element builder (dom.js) with this file's argument order: attributes, then text.
 * @param {keyof HTMLElementTagNameMap} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 */
const el = (tag, attrs = {}, text) => domEl(tag, null, text, attrs);

/** @param {Channel} c */
function describe(c) {
  const where = c.config.to || c.config.url || (c.config.chatId ? `chat ${c.config.chatId}` : '');
  return `${c.kind}: ${c.name}${where ? ` (${where})` : ''}${c.hasSecret ? ' · secret set' : ''}`;
}

/**
 * Fills `root` with the settings, loaded now.
 * @param {HTMLElement} root
 * @param {Api} api
 */
export async function showSettings(root, api) {
  const status = el('p', { class: 'notify-state', role: 'status' }, 'Loading your notification settings…');
  root.replaceChildren(status);
  /** @type {Channel[]} */ let channels;
  /** @type {Prefs[]} */ let prefs;
  /** @type {string[]} */ let sites;
  try {
    [channels, prefs, sites] = await Promise.all([
      api('/notify/channels').then((r) => r.items),
      api('/notify/preferences').then((r) => r.items),
      api('/sites').then((r) => r.items.map((/** @type {{ site: string }} */ s) => s.site), () => []),
    ]);
  } catch (err) {
    status.textContent = `Could not load your settings: ${/** @type {Error} */ (err).message}. Close and open them to try again.`;
    return;
  }
  status.textContent = '';
  const reload = () => void showSettings(root, api);

  root.append(el('h3', {}, 'Your channels'));
  const list = el('ul');
  if (channels.length === 0) list.append(el('li', { class: 'notify-state' }, 'No channels yet: notifications reach you here only. Add e-mail, a webhook or Telegram below.'));
  for (const c of channels) {
    const li = el('li', { class: 'notify-item' }, describe(c));
    const remove = el('button', { class: 'text-button', type: 'button' }, 'Remove');
    remove.addEventListener('click', () => api(`/notify/channels/${c.id}`, { method: 'DELETE' }).then(reload, (err) => (status.textContent = err.message)));
    li.append(' ', remove);
    list.append(li);
  }
  root.append(list);

  const add = el('form', { class: 'notify-form' });
  const kind = /** @type {HTMLSelectElement} */ (el('select', { name: 'kind', 'aria-label': 'Kind' }));
  for (const k of ['email', 'webhook', 'telegram']) kind.append(el('option', { value: k }, k));
  const name = el('input', { name: 'name', placeholder: 'Name', required: '', maxlength: '80', 'aria-label': 'Name' });
  const where = el('input', { name: 'where', placeholder: 'Address, URL or chat id', required: '', 'aria-label': 'Address, URL or chat id' });
  const format = /** @type {HTMLSelectElement} */ (el('select', { name: 'format', 'aria-label': 'Webhook format' }));
  for (const f of ['generic', 'ntfy', 'slack']) format.append(el('option', { value: f }, f));
  const secret = el('input', { name: 'secret', type: 'password', placeholder: 'Secret (HMAC key, bot token, SMTP URL)', autocomplete: 'off', 'aria-label': 'Secret' });
  add.append(kind, name, where, format, secret, el('button', { class: 'text-button', type: 'submit' }, 'Add channel'));
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    const k = kind.value;
    const value = /** @type {HTMLInputElement} */ (where).value.trim();
    /** @type {Record<string, string>} */
    const config = k === 'email' ? { to: value } : k === 'webhook' ? { url: value, format: format.value } : { chatId: value };
    const body = { kind: k, name: /** @type {HTMLInputElement} */ (name).value.trim(), config, ...(/** @type {HTMLInputElement} */ (secret).value ? { secret: /** @type {HTMLInputElement} */ (secret).value } : {}) };
    api('/notify/channels', { method: 'POST', body }).then(reload, (err) => (status.textContent = `Not added: ${err.message}`));
  });
  root.append(add);

  root.append(el('h3', {}, 'What reaches you, per site'));
  if (sites.length === 0) root.append(el('p', { class: 'notify-state' }, 'You see no site yet: an owner or operator gives you a role at one.'));
  for (const site of sites) {
    const p = prefs.find((x) => x.site === site) || { site, minSeverity: 'warning', channelIds: [], inapp: true, quietHours: null, criticalBreaksThrough: true };
    const form = el('form', { class: 'notify-form', 'data-site': site });
    const sev = /** @type {HTMLSelectElement} */ (el('select', { 'aria-label': `Minimum severity at ${site}` }));
    for (const s of ['info', 'warning', 'critical']) sev.append(el('option', s === p.minSeverity ? { value: s, selected: '' } : { value: s }, `${s} and up`));
    const quiet = /** @type {HTMLInputElement} */ (el('input', { placeholder: 'Quiet hours 22:00-07:00', value: p.quietHours || '', 'aria-label': `Quiet hours at ${site}` }));
    const boxes = channels.map((c) => {
      const b = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', value: String(c.id) }));
      b.checked = p.channelIds.includes(c.id);
      const label = el('label');
      label.append(b, ` ${c.name}`);
      return { b, label };
    });
    const inapp = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox' }));
    inapp.checked = p.inapp;
    const crit = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox' }));
    crit.checked = p.criticalBreaksThrough;
    const inappLabel = el('label');
    inappLabel.append(inapp, ' here');
    const critLabel = el('label');
    critLabel.append(crit, ' criticals break through quiet hours');
    form.append(el('strong', {}, site), sev, ...boxes.map((x) => x.label), inappLabel, quiet, critLabel, el('button', { class: 'text-button', type: 'submit' }, 'Save'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = {
        minSeverity: sev.value,
        channelIds: boxes.filter((x) => x.b.checked).map((x) => Number(x.b.value)),
        inapp: inapp.checked,
        quietHours: quiet.value.trim() || null,
        criticalBreaksThrough: crit.checked,
      };
      api(`/notify/preferences/${encodeURIComponent(site)}`, { method: 'PUT', body }).then(
        () => (status.textContent = `Saved for ${site}.`),
        (err) => (status.textContent = `Not saved for ${site}: ${err.message}`),
      );
    });
    root.append(form);
    root.append(await escalationForm(site, api, status));
  }
}

/**
 * A site's escalation chain as one line, "5 owner, 15 #12" (minutes, then a role or #user id); only
 * owners of the site and operators may save it (the API says so to anyone else).
 * @param {string} site
 * @param {Api} api
 * @param {HTMLElement} status
 */
async function escalationForm(site, api, status) {
  const form = el('form', { class: 'notify-form', 'data-escalation': site });
  /** @type {{ delayMin: number, role?: string, userId?: number }[]} */
  let steps = [];
  try {
    steps = (await api(`/notify/escalation/${encodeURIComponent(site)}`)).steps;
  } catch {
    steps = [];
  }
  const text = steps.map((s) => `${s.delayMin} ${s.role ?? `#${s.userId}`}`).join(', ');
  const input = /** @type {HTMLInputElement} */ (el('input', { value: text, placeholder: '5 owner, 15 #12', 'aria-label': `Escalation at ${site}` }));
  form.append(el('span', {}, 'Unacknowledged: after'), input, el('button', { class: 'text-button', type: 'submit' }, 'Save chain'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {{ delayMin: number, role?: string, userId?: number }[]} */
    const parsed = [];
    for (const part of input.value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\d{1,5})\s*(?:min)?\s+(?:#(\d+)|(owner|resident|viewer|operator))$/.exec(part);
      if (!m) {
        status.textContent = `Not saved: "${part}" should look like "5 owner" or "15 #12" (minutes, then a role or #user id).`;
        return;
      }
      parsed.push(m[2] ? { delayMin: Number(m[1]), userId: Number(m[2]) } : { delayMin: Number(m[1]), role: m[3] });
    }
    api(`/notify/escalation/${encodeURIComponent(site)}`, { method: 'PUT', body: { steps: parsed } }).then(
      () => (status.textContent = `Escalation saved for ${site}.`),
      (err) => (status.textContent = `Escalation not saved for ${site}: ${err.message}`),
    );
  });
  return form;
}
