// @ts-check
// Device page: every numeric/boolean attribute charted over a chosen range, the live values and
// chart tails as readings arrive, controls that send commands and follow them on the stream to
// confirmed / timeout, and the command history. The parts: device-view.js (what is shown),
// device-charts.js, device-commands.js, device-time.js; their shared state: device-state.js.

import { api, query } from './api.js';
import { el } from './dom.js';
import { ago, format } from './format.js';
import { live } from './live.js';
import { appendLive, loadCharts, redrawDirty } from './device-charts.js';
import { commandSection, loadCommands, recheckPending, showCommand } from './device-commands.js';
import { devicePageState } from './device-state.js';
import { deviceHead, panels, rangeBar, renderAlerts } from './device-view.js';

/** @typedef {import('./device-state.js').DevicePage} DevicePage */
/** @typedef {import('./types.js').DeviceView} DeviceView */
/** @typedef {import('./types.js').LiveReading} LiveReading */

/** @type {DevicePage | null} */
let state = null;

/**
 * A reading from the stream: the value, and the chart's tail when the range ends now.
 * @param {DevicePage} page
 * @param {LiveReading} r
 */
function liveReading(page, r) {
  if (page.closed || r.deviceId !== page.deviceId) return;
  const panel = page.panels.get(r.attribute);
  if (!panel) {
    // A new attribute: rebuild the page from the registry's view of the device.
    if (!page.reloading) {
      page.reloading = true;
      setTimeout(() => {
        if (state === page) reload();
      }, 300);
    }
    return;
  }
  if (r.ts < panel.ts) return;
  panel.ts = r.ts;
  panel.value.textContent = format(r.value, r.unit);
  panel.age.textContent = 'updated ' + ago(r.ts);
  if (panel.control) panel.control.show(r.value);
  if (page.range !== 'custom') appendLive(panel, r);
}

/**
 * The page of a device the API has shown: built, then kept current by the stream.
 * @param {DevicePage} page
 * @param {HTMLElement} body
 * @param {DeviceView} d
 */
function show(page, body, d) {
  body.appendChild(deviceHead(page, d));
  body.appendChild(rangeBar(page, d, () => loadCharts(page)));
  body.appendChild(panels(page, d));
  body.appendChild(commandSection(page));
  renderAlerts(page);
  loadCharts(page).then(() => loadCommands(page));
  page.timers.push(setInterval(() => redrawDirty(page), 250));
  page.timers.push(
    setInterval(() => {
      page.panels.forEach((p) => {
        p.age.textContent = 'updated ' + ago(p.ts);
      });
    }, 5000),
  );
  live(query({ device: page.deviceId }), {
    snapshot: (data) => {
      renderAlerts(page);
      if (page.closed) return;
      // Controls only where this viewer may send commands (the API refuses the others anyway).
      const allowed = (data.controlSites || []).indexOf(d.site) >= 0;
      page.panels.forEach((p) => p.control?.setAllowed(allowed));
      if (page.connectedOnce) {
        // After a gap: what the chart missed comes from the history, what commands did meanwhile from the API.
        if (page.range !== 'custom') loadCharts(page);
        recheckPending(page);
        loadCommands(page);
      }
      page.connectedOnce = true;
    },
    readings: (list) => list.forEach((r) => liveReading(page, r)),
    device: (dev) => {
      if (page.closed || !page.head) return;
      page.head.badge.textContent = dev.state || 'online';
      page.head.badge.dataset.state = dev.state || 'online';
      page.head.title.textContent = dev.name || dev.device;
    },
    removed: () => {
      if (!page.closed && page.head) page.head.badge.textContent = 'forgotten';
    },
    alert: () => renderAlerts(page),
    alerts: () => renderAlerts(page),
    command: (cmd) => {
      if (cmd.deviceId !== page.deviceId) return;
      showCommand(page, cmd);
      if (cmd.status !== 'pending') loadCommands(page);
    },
  });
}

/**
 * @param {HTMLElement} view
 * @param {string | undefined} id the device id, URI-encoded
 */
function enter(view, id) {
  let deviceId;
  try {
    deviceId = decodeURIComponent(id || '');
  } catch {
    deviceId = id || ''; // a hand-typed address with a stray %: look it up as written
  }
  let range = '24h';
  try {
    range = sessionStorage.getItem('octopus-range') || '24h';
  } catch {
    /* private mode */
  }
  const page = (state = devicePageState(deviceId, view, range));
  view.appendChild(el('p', 'crumbs', undefined, null, el('a', null, '← Overview', { href: '#/' })));
  const body = el('div', 'device-page', undefined, { 'data-device-id': deviceId });
  view.appendChild(body);
  api('/devices/' + encodeURIComponent(deviceId)).then(
    (/** @type {DeviceView} */ d) => {
      if (!page.closed) show(page, body, d);
    },
    (/** @type {import('./api.js').ApiError} */ err) => {
      if (page.closed) return;
      body.appendChild(el('p', 'empty', err.status === 404 ? 'No device “' + deviceId + '” in the registry.' : 'Could not load the device: ' + err.message));
    },
  );
}

function leave() {
  if (!state) return;
  state.closed = true;
  state.timers.forEach(clearInterval);
  state.panels.forEach((p) => p.chart?.destroy());
  state = null;
}

/** The same device again, built from the registry's view of it now. */
function reload() {
  if (!state) return;
  const { view, deviceId } = state;
  leave();
  view.textContent = '';
  enter(view, encodeURIComponent(deviceId));
}

/** @type {import('./types.js').Page} */
export const devicePage = { title: 'Device', enter, leave };
