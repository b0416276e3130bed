// @ts-check
// Scenes (apply with one tap, each device's outcome shown live; owners capture new ones from the
// current states) and the logbook (what happened and why: each line's cause chain, with filters).
import { api, time, el, enc, note, pickSite, roleAt, field, input, select, attributes } from './automation-kit.js';

const OUTCOME_TEXT = {
  pending: 'waiting for the device…',
  confirmed: '✓ confirmed: the device reported it',
  timeout: '✗ no answer: the device did not report it in time (tried twice). Is it online?',
  refused: '✗ refused',
  failed: '✗ failed',
};

/** @param {any} r */
function outcomeRow(r) {
  const text = /** @type {Record<string, string>} */ (OUTCOME_TEXT)[r.outcome] || r.outcome;
  return el('li', `outcome outcome-${r.outcome}`, undefined, { 'data-device-id': r.deviceId, 'data-outcome': r.outcome },
    el('span', 'outcome-target', `${r.deviceId} · ${r.attribute} → ${String(r.value)}`),
    el('span', 'outcome-state', r.outcome === 'refused' ? `${text}: ${r.detail}` : text));
}

/** @param {HTMLElement} card @param {any} scene */
function showApply(card, scene) {
  const box = card.querySelector('.scene-results');
  if (!box || !scene.lastApply) return;
  box.textContent = '';
  const la = scene.lastApply;
  box.appendChild(el('p', 'muted small', la.done ? `Last applied ${time(Date.parse(la.startedAt))}:` : 'Applying…'));
  const list = el('ul', 'outcomes');
  la.results.forEach((/** @type {any} */ r) => list.appendChild(outcomeRow(r)));
  box.appendChild(list);
}

/** @param {any} scene @param {string} role */
function sceneCard(scene, role) {
  const apply = el('button', 'button primary big', `Apply ${scene.name}`, { type: 'button', 'data-scene': scene.name });
  const restore = el('button', 'button', 'Restore previous', { type: 'button', title: 'Set back the states the last apply replaced' });
  const error = el('p', 'error', '', { role: 'status' });
  const card = el('section', 'card scene', undefined, { 'data-scene-id': scene.id },
    el('h3', null, scene.name),
    el('p', 'muted small', scene.targets.map((/** @type {any} */ t) => `${t.deviceId} ${t.attribute} → ${String(t.value)}`).join(' · ')),
    role === 'viewer' ? el('p', 'muted small', 'Viewers see scenes; residents and owners apply them.') : el('div', 'actions', undefined, null, apply, scene.previous && scene.previous.length ? restore : null),
    error,
    el('div', 'scene-results', undefined, { 'aria-live': 'polite' }));
  showApply(card, scene);
  const run = (/** @type {string} */ verb) => {
    error.textContent = '';
    // The outcomes then come on the live stream ('scene' events, scenesPage below).
    card.dataset.applying = verb;
    api(`/scenes/${enc(scene.id)}/${verb}`, { method: 'POST' }).then(
      (s) => showApply(card, s),
      (err) => {
        delete card.dataset.applying;
        error.textContent = err.message;
      },
    );
  };
  apply.addEventListener('click', () => run('apply'));
  restore.addEventListener('click', () => run('restore'));
  return card;
}

/** The owner's form: a name and the attributes whose current values the scene captures. @param {string} site @param {() => void} done */
function captureForm(site, done) {
  const name = input({ type: 'text', name: 'scene-name', maxlength: 100, required: true, placeholder: 'Evening' });
  const boxes = el('div', 'capture-list', undefined, null, note('loading', 'Loading the devices…'));
  const msg = el('p', 'error', '', { role: 'status' });
  const form = el('form', 'card form', undefined, null, el('h3', null, 'New scene from the current states'), field('Name', name), boxes, el('button', 'button primary', 'Save scene', { type: 'submit' }), msg);
  attributes(site).then((list) => {
    boxes.textContent = '';
    const usable = list.filter((a) => a.controllable);
    if (usable.length === 0) boxes.appendChild(note('empty', 'No controllable device yet: declare a control (Devices → a device → controls) first.'));
    usable.forEach((a) => boxes.appendChild(el('label', 'check', undefined, null, input({ type: 'checkbox', 'data-device-id': a.deviceId, 'data-attribute': a.attribute }), el('span', null, `${a.label} (now ${String(a.value)})`))));
  }, (err) => boxes.replaceChildren(note('error', `Could not load the devices: ${err.message}`)));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const capture = [...form.querySelectorAll('input[type=checkbox]:checked')].map((c) => ({ deviceId: c.getAttribute('data-device-id'), attribute: c.getAttribute('data-attribute') }));
    api(`/sites/${enc(site)}/scenes`, { method: 'POST', body: { name: name.value.trim(), capture } }).then(done, (err) => (msg.textContent = err.message));
  });
  return form;
}

/** @type {import('./types.js').Page} */
export const scenesPage = {
  title: 'Scenes',
  /** @param {HTMLElement} view @param {string | undefined} wanted */
  enter: async (view, wanted) => {
    const root = el('div', 'automation-page');
    view.appendChild(root);
    root.appendChild(el('h2', null, 'Scenes'));
    const list = el('div', 'cards');
    /** @param {import('./types.js').StreamEvents['scene']} p */
    const onScene = (p) => {
      const card = /** @type {HTMLElement | null} */ (list.querySelector(`[data-scene-id="${CSS.escape(p.sceneId)}"]`));
      if (!card) return;
      showApply(card, { lastApply: p });
      if (!p.done) return;
      // An apply gives the scene states to restore: draw the card again with its restore button.
      if (card.dataset.applying === 'apply' && !card.querySelector('button[title^="Set back"]')) load();
      delete card.dataset.applying;
    };
    // A reconnected stream may have missed an outcome: draw the scenes again.
    const site = await pickSite(root, wanted, 'scenes', { scene: onScene, snapshot: () => list.isConnected && list.childElementCount > 0 && load() });
    if (!site) return;
    const role = roleAt(site) || 'viewer';
    root.appendChild(list);
    const load = () => {
      list.replaceChildren(note('loading', 'Loading the scenes…'));
      api(`/sites/${enc(site)}/scenes`).then((res) => {
        list.textContent = '';
        if (res.items.length === 0) list.appendChild(note('empty', role === 'owner' ? 'No scene yet: capture the current states of some devices below.' : 'No scene yet: the house owner makes them.'));
        res.items.forEach((/** @type {any} */ s) => list.appendChild(sceneCard(s, role)));
      }, (err) => list.replaceChildren(note('error', `Could not load the scenes: ${err.message}. Try again in a moment.`)));
    };
    load();
    if (role === 'owner') root.appendChild(captureForm(site, load));
  },
};

/** @type {number | undefined} */
let refresh;

/** @type {import('./types.js').Page} */
export const logbookPage = {
  title: 'Logbook',
  /** @param {HTMLElement} view @param {string | undefined} wanted */
  enter: async (view, wanted) => {
    const root = el('div', 'automation-page');
    view.appendChild(root);
    root.appendChild(el('h2', null, 'Logbook'));
    root.appendChild(el('p', 'muted small', 'What happened in the house and why: each line names its cause, newest first (← reads "because of").'));
    const site = await pickSite(root, wanted, 'logbook');
    if (!site) return;
    const kind = select([['', 'everything'], ['command', 'commands'], ['device', 'devices online/offline'], ['automation', 'automations'], ['schedule', 'schedules'], ['scene', 'scenes'], ['alert', 'alerts']], { 'aria-label': 'Kind' });
    const device = input({ type: 'text', placeholder: 'device id (optional)', 'aria-label': 'Device' });
    const list = el('ol', 'logbook');
    root.appendChild(el('form', 'filters', undefined, null, field('Show', kind), field('Device', device)));
    root.appendChild(list);
    const load = () => {
      const q = [kind.value ? `kind=${kind.value}` : '', device.value.trim() ? `device=${enc(device.value.trim())}` : ''].filter(Boolean).join('&');
      api(`/sites/${enc(site)}/logbook${q ? `?${q}` : ''}`).then((res) => {
        list.textContent = '';
        if (res.items.length === 0) list.appendChild(el('li', 'muted', 'Nothing logged yet for this filter. Commands, devices going online or offline, alerts and automation runs appear here.'));
        res.items.forEach((/** @type {any} */ e) =>
          list.appendChild(el('li', `log log-${e.kind}`, undefined, { 'data-kind': e.kind },
            el('time', 'muted small', time(Date.parse(e.at))), el('span', 'log-message', e.message),
            e.causeText ? el('span', 'log-cause', `← ${e.causeText}`) : null)));
      }, (err) => list.replaceChildren(el('li', 'error', `Could not load the logbook: ${err.message}. It retries every 5 s.`)));
    };
    kind.addEventListener('change', load);
    device.addEventListener('change', load);
    load();
    refresh = window.setInterval(load, 5000);
  },
  leave: () => window.clearInterval(refresh),
};
