// The signed-in user on the dashboard: who it is (shown in the header with a sign-out button), the
// CSRF token the REST client sends on every write, and the way back to the sign-in page when the
// session has ended.
(function () {
  'use strict';

  var O = (window.Octopus = window.Octopus || {});
  O.csrfToken = null;
  O.me = null;

  O.toLogin = function () {
    location.replace('login' + location.hash);
  };

  O.session = fetch(O.apiBase + '/auth/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (res) {
      if (res.status === 401) {
        O.toLogin();
        return null;
      }
      return res.ok ? res.json() : null;
    })
    .then(function (me) {
      if (!me) return null;
      O.me = me;
      O.csrfToken = me.csrfToken;
      var who = document.getElementById('user');
      if (who) {
        who.textContent = me.user.username;
        who.title = me.operator ? 'operator: every site' : Object.keys(me.sites).map(function (s) { return s + ': ' + me.sites[s]; }).join(', ');
      }
      return me;
    })
    .catch(function () {
      return null;
    });

  document.addEventListener('DOMContentLoaded', function () {
    var button = document.getElementById('logout');
    if (!button) return;
    button.addEventListener('click', function () {
      button.disabled = true;
      O.session
        .then(function () {
          return fetch(O.apiBase + '/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': O.csrfToken || '' }, credentials: 'same-origin' });
        })
        .catch(function () {
          return null;
        })
        .then(function () {
          location.replace('login');
        });
    });
  });
})();
