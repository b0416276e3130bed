// The router: hash routes (#/, #/device/<id>, #/alerts, #/devices, #/energy[/<site>]), one page shown at a time,
// each page opening its own live stream for what it shows.
(function () {
  'use strict';

  var O = window.Octopus;
  var view = document.getElementById('view');
  var current = null;

  var ROUTES = [
    { pattern: /^#?\/?$/, page: 'overview', nav: 'overview' },
    { pattern: /^#\/device\/(.+)$/, page: 'device', nav: 'devices' },
    { pattern: /^#\/alerts\/?$/, page: 'alerts', nav: 'alerts' },
    { pattern: /^#\/devices\/?$/, page: 'devices', nav: 'devices' },
    { pattern: /^#\/energy(?:\/(.*))?$/, page: 'energy', nav: 'energy' },
    { pattern: /^#\/(scenes|schedules|automations|logbook)(?:\/(.*))?$/, page: 'automation', nav: 'automation' },
  ];

  function route() {
    var hash = location.hash || '#/';
    var match = null;
    var found = ROUTES[0];
    for (var i = 0; i < ROUTES.length; i++) {
      match = ROUTES[i].pattern.exec(hash);
      if (match) {
        found = ROUTES[i];
        break;
      }
    }
    if (current && current.leave) current.leave();
    view.textContent = '';
    // The home-automation pages (ES modules, automation-*.js) are named by the route itself.
    var name = found.page === 'automation' ? match[1] : found.page;
    var nav = found.page === 'automation' ? match[1] : found.nav;
    if (found.page === 'automation') match = [match[0], match[2]];
    current = O.pages[name];
    document.body.dataset.page = name;
    document.querySelectorAll('nav.tabs a').forEach(function (a) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.title = 'Octopus · ' + current.title;
    current.enter(view, match && match[1]);
    window.scrollTo(0, 0);
  }

  document.getElementById('theme').addEventListener('click', function () {
    O.nextTheme();
    // Charts take their colours when drawn: draw the page again.
    route();
  });
  window.addEventListener('hashchange', route);
  route();
})();
