// @ts-check
// The open alerts the viewer may see, kept current by every page's stream; the header counts them.

/** @typedef {import('./types.js').Alert} Alert */

/** Open alerts by id. */
export const openAlerts = /** @type {Map<string, Alert>} */ (new Map());

function updateAlertCount() {
  const badge = document.getElementById('alert-count');
  if (!badge) return;
  let n = 0;
  let worst = '';
  openAlerts.forEach((a) => {
    n++;
    if (a.severity === 'critical' || (a.severity === 'warning' && worst !== 'critical') || !worst) worst = a.severity;
  });
  badge.textContent = n ? String(n) : '';
  badge.hidden = n === 0;
  badge.dataset.severity = worst;
}

/** @param {Alert[] | undefined} list all open alerts (a snapshot) */
export function setAlerts(list) {
  openAlerts.clear();
  (list || []).forEach((a) => openAlerts.set(a.id, a));
  updateAlertCount();
}

/** @param {Alert} a one alert as it is now */
export function applyAlert(a) {
  if (a.state === 'cleared') openAlerts.delete(a.id);
  else openAlerts.set(a.id, a);
  updateAlertCount();
}
