// @ts-check
// The dashboard's entry (index.html loads only this module): the router. Hash routes (#/,
// #/device/<id>, #/alerts, #/devices, #/energy[/<site>], #/scenes|schedules|automations|logbook[/<site>]), one page shown at a time, each page
// opening its own live stream for what it shows. A new page: a module exporting a Page
// (types.js), one line in ROUTES, one link in index.html's nav.

import './session.js';
import { alertsPage } from './alerts.js';
import { automationsPage, schedulesPage } from './automation-rules.js';
import { logbookPage, scenesPage } from './automation-scenes.js';
import { devicePage } from './device.js';
import { devicesPage } from './devices.js';
import { energyPage } from './energy.js';
import { overviewPage } from './overview.js';
import { applyTheme, nextTheme, theme } from './theme.js';

/** @typedef {import('./types.js').Page} Page */

/** @type {{ pattern: RegExp, page: Page, name: string, nav: string }[]} */
const ROUTES = [
  { pattern: /^#?\/?$/, page: overviewPage, name: 'overview', nav: 'overview' },
  { pattern: /^#\/device\/(.+)$/, page: devicePage, name: 'device', nav: 'devices' },
  { pattern: /^#\/alerts\/?$/, page: alertsPage, name: 'alerts', nav: 'alerts' },
  { pattern: /^#\/devices\/?$/, page: devicesPage, name: 'devices', nav: 'devices' },
  { pattern: /^#\/energy(?:\/(.*))?$/, page: energyPage, name: 'energy', nav: 'energy' },
  // The home-automation pages take the site as their argument (#/scenes/<site>).
  { pattern: /^#\/scenes(?:\/(.*))?$/, page: scenesPage, name: 'scenes', nav: 'scenes' },
  { pattern: /^#\/schedules(?:\/(.*))?$/, page: schedulesPage, name: 'schedules', nav: 'schedules' },
  { pattern: /^#\/automations(?:\/(.*))?$/, page: automationsPage, name: 'automations', nav: 'automations' },
  { pattern: /^#\/logbook(?:\/(.*))?$/, page: logbookPage, name: 'logbook', nav: 'logbook' },
];

const view = /** @type {HTMLElement} */ (document.getElementById('view'));
/** @type {Page | null} */
let current = null;

function route() {
  const hash = location.hash || '#/';
  /** @type {RegExpExecArray | null} */
  let match = null;
  let found = ROUTES[0];
  for (const r of ROUTES) {
    match = r.pattern.exec(hash);
    if (match) {
      found = r;
      break;
    }
  }
  if (current && current.leave) current.leave();
  view.textContent = '';
  current = found.page;
  document.body.dataset.page = found.name;
  document.querySelectorAll('nav.tabs a').forEach((a) => {
    if (a instanceof HTMLElement && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.title = 'Octopus · ' + current.title;
  current.enter(view, match ? match[1] : undefined);
  window.scrollTo(0, 0);
}

applyTheme(theme());
document.getElementById('theme')?.addEventListener('click', () => {
  nextTheme();
  // Charts take their colours when drawn: draw the page again.
  route();
});
window.addEventListener('hashchange', route);
route();
