// @ts-check
/**
 * The notification centre of /ui: a bell with the unread count (pushed on the live stream as
 * `notify` events, which live.js re-dispatches as the DOM event `octopus-notify`), a panel with
 * the latest notifications from GET /api/v1/notify/inbox, and the browser's Notification API
 * while a tab is open (asked for on the first click of the bell). Owners and operators also see
 * how many notifications failed for good.
 */

import { api } from './api.js';
import { el as domEl } from './dom.js';
import { showSettings } from './notify-settings.js';

/** @typedef {{ id: number, site: string, alertId: string | null, severity: string, title: string, body: string, at: string, read: boolean }} InboxItem */
/** @typedef {{ unread: number, latest?: { title: string, body: string, severity: string, site: string } }} UnreadEvent */

/**
 * The dashboard's element builder (dom.js) with this file's argument order: attributes, then text.
 * @param {keyof HTMLElementTagNameMap} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 */
const el = (tag, attrs = {}, text) => domEl(tag, null, text, attrs);

const bell = el('button', { id: 'notify-bell', class: 'notify-bell', type: 'button', 'aria-label': 'Notifications', 'aria-expanded': 'false' }, '🔔');
const badge = el('span', { id: 'notify-count', class: 'count-badge' });
badge.hidden = true;
bell.append(badge);
const panel = el('section', { id: 'notify-panel', class: 'notify-panel', 'aria-label': 'Notifications' });
panel.hidden = true;
const heading = el('h2', {}, 'Notifications');
const readAll = el('button', { class: 'text-button', type: 'button' }, 'Mark all read');
const settingsButton = el('button', { id: 'notify-settings-button', class: 'text-button', type: 'button', 'aria-expanded': 'false' }, 'Settings');
heading.append(readAll, settingsButton);
const settings = el('div', { id: 'notify-settings' });
settings.hidden = true;
const state = el('p', { class: 'notify-state', role: 'status' });
const failed = el('p', { class: 'notify-failed' });
failed.hidden = true;
const list = el('ul', { id: 'notify-list' });
panel.append(heading, settings, state, failed, list);

/** @param {number} n */
function setUnread(n) {
  badge.textContent = String(n);
  badge.hidden = n === 0;
  bell.setAttribute('aria-label', n === 0 ? 'Notifications' : `Notifications, ${n} unread`);
}

/** @param {InboxItem} it */
function itemView(it) {
  const li = el('li', { class: 'notify-item', 'data-severity': it.severity, 'data-read': String(it.read) });
  li.append(el('div', { class: 'notify-title' }, it.title), el('div', { class: 'notify-body' }, it.body), el('div', { class: 'notify-time' }, new Date(it.at).toLocaleString()));
  return li;
}

async function load() {
  if (!navigator.onLine) {
    state.textContent = 'Offline: notifications appear here when the connection is back.';
    return;
  }
  state.textContent = 'Loading notifications…';
  try {
    const inbox = /** @type {{ items: InboxItem[], unread: number }} */ (await api('/notify/inbox'));
    list.replaceChildren(...inbox.items.map(itemView));
    setUnread(inbox.unread);
    state.textContent = inbox.items.length === 0 ? 'No notifications yet. Alerts of your sites, and messages flows send you, appear here.' : '';
    state.hidden = inbox.items.length > 0;
  } catch (err) {
    state.hidden = false;
    state.textContent = `Could not load notifications: ${/** @type {Error} */ (err).message}. Close and open the panel to try again.`;
  }
  try {
    const f = await api('/notify/failed');
    failed.hidden = f.total === 0;
    failed.textContent = `${f.total} notification(s) could not be delivered (last: ${f.items[0] ? `${f.items[0].channel} to ${f.items[0].username}: ${f.items[0].error}` : '–'}). Check the channel settings.`;
  } catch {
    failed.hidden = true;
  }
}

bell.addEventListener('click', () => {
  panel.hidden = !panel.hidden;
  bell.setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) void load();
  if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
});

settingsButton.addEventListener('click', () => {
  settings.hidden = !settings.hidden;
  settingsButton.setAttribute('aria-expanded', String(!settings.hidden));
  if (!settings.hidden) void showSettings(settings, api);
});

readAll.addEventListener('click', async () => {
  try {
    const r = await api('/notify/inbox/read', { method: 'POST', body: { ids: 'all' } });
    setUnread(r.unread);
    await load();
  } catch (err) {
    state.hidden = false;
    state.textContent = `Could not mark them read: ${/** @type {Error} */ (err).message}`;
  }
});

document.addEventListener('octopus-notify', (e) => {
  const data = /** @type {UnreadEvent} */ (/** @type {CustomEvent} */ (e).detail);
  setUnread(data.unread);
  if (!data.latest) return;
  if (!panel.hidden) void load();
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      new Notification(data.latest.title, { body: data.latest.body, tag: `octopus-${data.latest.site}` });
    } catch {
      // Some browsers allow notifications only from a service worker: the bell still counts.
    }
  }
});

window.addEventListener('online', () => {
  if (!panel.hidden) void load();
});
window.addEventListener('offline', () => {
  if (!panel.hidden) state.textContent = 'Offline: notifications appear here when the connection is back.';
});

const user = document.getElementById('user');
if (user && user.parentElement) user.parentElement.insertBefore(bell, user);
document.body.append(panel);
// The count as the page opens; the stream keeps it current. A notification sent by another Node-RED
// instance is pushed only to that instance's pages: a slow look every minute catches it here too.
const refreshCount = () => api('/notify/inbox').then((inbox) => setUnread(inbox.unread), () => undefined);
void refreshCount();
setInterval(() => {
  if (!document.hidden && navigator.onLine) void refreshCount();
}, 60_000);
