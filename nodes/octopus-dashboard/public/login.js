// @ts-check
// The sign-in page: posts the form to the REST API's login, which sets the session cookie, then
// goes to the dashboard (keeping the page the user asked for, in the URL's #fragment).

const meta = document.querySelector('meta[name="octopus-api-base"]');
const apiBase = (meta && meta.getAttribute('content')) || '/api/v1';

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error('the sign-in page has no #' + id);
  return e;
}

const form = byId('login-form', HTMLFormElement);
const button = byId('sign-in', HTMLButtonElement);
const error = byId('login-error', HTMLElement);

/** @param {string} text */
function show(text) {
  error.textContent = text;
  error.hidden = !text;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const username = byId('username', HTMLInputElement).value.trim();
  const password = byId('password', HTMLInputElement).value;
  if (!username || !password) return show('Enter your username and password.');
  button.disabled = true;
  show('');
  fetch(apiBase + '/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
    credentials: 'same-origin',
  })
    .then((res) => {
      if (res.ok) {
        location.replace('./' + location.hash);
        return;
      }
      return res.json().then(
        (/** @type {{ error?: string } | null} */ body) => {
          const wait = res.headers.get('Retry-After');
          if (res.status === 401) show('Wrong username or password.');
          else if (res.status === 429) show('Too many attempts. Try again in ' + (wait ? Math.ceil(Number(wait) / 60) + ' min' : 'a while') + '.');
          else show((body && body.error) || 'Sign-in failed (' + res.status + ').');
        },
        () => show('Sign-in failed (' + res.status + ').'),
      );
    })
    .catch(() => show('The server does not answer. Try again.'))
    .then(() => {
      button.disabled = false;
    });
});
