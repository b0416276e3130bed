// @ts-check
// Accepting an invitation (/ui/accept?invitation=…): the person chooses a username and password;
// the API makes the account with the invited role, then they sign in as usual.

const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="octopus-api-base"]'));
const API = meta && meta.content && !meta.content.startsWith('{{') ? meta.content : '/api/v1';
const token = new URLSearchParams(location.search).get('invitation') || '';
const form = /** @type {HTMLFormElement} */ (document.getElementById('accept-form'));
const error = /** @type {HTMLElement} */ (document.getElementById('accept-error'));

/** @param {string} text */
function fail(text) {
  error.textContent = text;
  error.hidden = false;
}

if (!token) {
  form.hidden = true;
  fail('This link has no invitation in it: open the whole link you were sent, or ask for a new one.');
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const data = new FormData(form);
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('accept'));
  button.disabled = true;
  try {
    const res = await fetch(`${API}/invitations/accept`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ token, username: String(data.get('username') || '').trim(), password: String(data.get('password') || '') }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return fail(body.error || `The server answered ${res.status}.`);
    location.replace('login');
  } catch {
    fail(navigator.onLine ? 'Octopus does not answer: try again in a moment.' : 'You are offline: reconnect, then try again.');
  } finally {
    button.disabled = false;
  }
});

export {};
