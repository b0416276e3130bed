// The sign-in page: posts the form to the REST API's login, which sets the session cookie, then
// goes to the dashboard (keeping the page the user asked for, in the URL's #fragment).
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="octopus-api-base"]');
  var apiBase = (meta && meta.getAttribute('content')) || '/api/v1';

  function show(text) {
    var p = document.getElementById('login-error');
    p.textContent = text;
    p.hidden = !text;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('login-form');
    var button = document.getElementById('sign-in');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var username = document.getElementById('username').value.trim();
      var password = document.getElementById('password').value;
      if (!username || !password) return show('Enter your username and password.');
      button.disabled = true;
      show('');
      fetch(apiBase + '/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username: username, password: password }),
        credentials: 'same-origin',
      })
        .then(function (res) {
          if (res.ok) {
            location.replace('./' + location.hash);
            return;
          }
          return res.json().then(
            function (body) {
              var wait = res.headers.get('Retry-After');
              if (res.status === 401) show('Wrong username or password.');
              else if (res.status === 429) show('Too many attempts. Try again in ' + (wait ? Math.ceil(Number(wait) / 60) + ' min' : 'a while') + '.');
              else show((body && body.error) || 'Sign-in failed (' + res.status + ').');
            },
            function () {
              show('Sign-in failed (' + res.status + ').');
            },
          );
        })
        .catch(function () {
          show('The server does not answer. Try again.');
        })
        .then(function () {
          button.disabled = false;
        });
    });
  });
})();
