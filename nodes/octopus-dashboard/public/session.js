// @ts-check
// The signed-in user on the dashboard: who it is (shown in the header with a sign-out button), the
// CSRF token the REST client sends on every write, and the way back to the sign-in page when the
// session has ended. Read once, when the dashboard loads.

import { apiBase, csrfToken, setCsrfToken, setSessionReady, toLogin } from './api.js';

/** @typedef {import('./types.js').Me} Me */

/** @type {Promise<Me | null>} */
export const session = fetch(apiBase() + '/auth/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
  .then((res) => {
    if (res.status === 401) {
      toLogin();
      return null;
    }
    return res.ok ? res.json() : null;
  })
  .then((/** @type {Me | null} */ me) => {
    if (!me) return null;
    setCsrfToken(me.csrfToken);
    const who = document.getElementById('user');
    if (who) {
      who.textContent = me.user.username;
      who.title = me.operator ? 'operator: every site' : Object.keys(me.sites).map((s) => s + ': ' + me.sites[s]).join(', ');
    }
    return me;
  })
  .catch(() => null);
setSessionReady(session);

const logout = /** @type {HTMLButtonElement | null} */ (document.getElementById('logout'));
if (logout) {
  const button = logout;
  button.addEventListener('click', () => {
    button.disabled = true;
    session
      .then(() => fetch(apiBase() + '/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrfToken() || '' }, credentials: 'same-origin' }))
      .catch(() => null)
      .then(() => location.replace('login'));
  });
}
