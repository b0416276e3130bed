// @ts-check
// Schedules (a week grid of every slot; owners add weekly slots) and automations (when a trigger and
// conditions, then an action: owners build one with the form, enable or disable it, see its last runs).
import { api, time, el, enc, note, pickSite, roleAt, field, input, select, attributes, parseValue, DAYS } from './automation-kit.js';

/** @param {any} s */
function slotText(s) {
  const v = s.value === undefined ? '' : ` → ${String(s.value)}`;
  if (s.kind === 'weekly') return `${s.time}${v}`;
  if (s.kind === 'sun') return `${s.event}${s.offsetMinutes ? ` ${s.offsetMinutes > 0 ? '+' : ''}${s.offsetMinutes} min` : ''}${v}`;
  return `once ${s.at}${v}`;
}

/** The week: one column per day, each slot of every enabled schedule in it, by time. @param {any[]} schedules */
function weekGrid(schedules) {
  const grid = el('div', 'week-grid', undefined, { role: 'table', 'aria-label': 'Week' });
  DAYS.forEach((day, i) => {
    const col = el('div', 'week-day', undefined, { role: 'row' }, el('h4', null, day));
    const items = [];
    for (const s of schedules) for (const slot of s.slots) if (slot.kind !== 'once' && slot.days.includes(i + 1)) items.push({ s, slot, key: slot.kind === 'weekly' ? slot.time : slot.event });
    items.sort((a, b) => (a.key < b.key ? -1 : 1));
    if (items.length === 0) col.appendChild(el('p', 'muted small', '—'));
    items.forEach(({ s, slot }) => col.appendChild(el('p', `slot${s.enabled ? '' : ' disabled'}`, `${slotText(slot)} · ${s.name}`, { role: 'cell' })));
    grid.appendChild(col);
  });
  return grid;
}

/** @param {string} site @param {() => void} done */
function scheduleForm(site, done) {
  const name = input({ type: 'text', maxlength: 100, required: true, placeholder: 'Heating weekdays', 'aria-label': 'Schedule name' });
  const target = select([], { 'aria-label': 'Device attribute' });
  const kind = select([['weekly', 'at a time'], ['sunrise', 'at sunrise'], ['sunset', 'at sunset']], { 'aria-label': 'When' });
  const time = input({ type: 'time', value: '07:00', 'aria-label': 'Time' });
  const offset = input({ type: 'number', min: -720, max: 720, value: 0, 'aria-label': 'Minutes after (before, if negative)' });
  const value = input({ type: 'text', required: true, placeholder: '21 or on', 'aria-label': 'Value' });
  const days = el('div', 'days', undefined, null, ...DAYS.map((d, i) => el('label', 'check', undefined, null, input({ type: 'checkbox', value: i + 1, checked: i < 5 ? '' : null }), el('span', null, d))));
  const msg = el('p', 'error', '', { role: 'status' });
  attributes(site).then((list) => list.filter((a) => a.controllable).forEach((a) => target.appendChild(el('option', null, a.label, { value: JSON.stringify([a.deviceId, a.attribute]) }))), (err) => (msg.textContent = err.message));
  const form = el('form', 'card form', undefined, null, el('h3', null, 'New schedule'), field('Name', name), field('Set', target), field('To', value), field('When', kind), field('At (site time)', time), field('Minutes after sunrise/sunset (negative: before; needs the site location)', offset), days, el('button', 'button primary', 'Save schedule', { type: 'submit' }), msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!target.value) return void (msg.textContent = 'Pick a device first: only devices with a declared control can be scheduled.');
    const [deviceId, attribute] = JSON.parse(target.value);
    const picked = [...days.querySelectorAll('input:checked')].map((c) => Number(/** @type {HTMLInputElement} */ (c).value));
    const slot = kind.value === 'weekly'
      ? { kind: 'weekly', days: picked, time: time.value, value: parseValue(value.value) }
      : { kind: 'sun', days: picked, event: kind.value, offsetMinutes: Number(offset.value) || 0, value: parseValue(value.value) };
    if (slot.kind === 'weekly' && !time.value) return void (msg.textContent = 'Give the time of day (site time).');
    const body = { name: name.value.trim(), action: { type: 'command', deviceId, attribute }, slots: [slot] };
    api(`/sites/${enc(site)}/schedules`, { method: 'POST', body }).then(done, (err) => (msg.textContent = err.message));
  });
  return form;
}

/** Enable/disable and delete, for schedules and automations alike. @param {string} path @param {any} item @param {boolean} owner @param {() => void} reload */
function itemControls(path, item, owner, reload) {
  if (!owner) return null;
  const toggle = el('button', 'button', item.enabled ? 'Disable' : 'Enable', { type: 'button' });
  const del = el('button', 'button danger', 'Delete', { type: 'button' });
  const msg = el('span', 'error');
  toggle.addEventListener('click', () => {
    const keys = path === 'schedules' ? ['name', 'action', 'slots'] : ['name', 'trigger', 'conditions', 'actions', 'maxRunsPerHour'];
    /** @type {Record<string, unknown>} */
    const body = {};
    keys.forEach((k) => (body[k] = item[k]));
    api(`/${path}/${enc(item.id)}`, { method: 'PUT', body: { ...body, enabled: !item.enabled } }).then(reload, (err) => (msg.textContent = err.message));
  });
  del.addEventListener('click', () => api(`/${path}/${enc(item.id)}`, { method: 'DELETE' }).then(reload, (err) => (msg.textContent = err.message)));
  return el('div', 'actions', undefined, null, toggle, del, msg);
}

/** @type {import('./types.js').Page} */
export const schedulesPage = {
  title: 'Schedules',
  /** @param {HTMLElement} view @param {string | undefined} wanted */
  enter: async (view, wanted) => {
    const root = el('div', 'automation-page');
    view.appendChild(root);
    root.appendChild(el('h2', null, 'Schedules'));
    const site = await pickSite(root, wanted, 'schedules');
    if (!site) return;
    const owner = roleAt(site) === 'owner';
    const body = el('div');
    root.appendChild(body);
    const load = () => {
      body.replaceChildren(note('loading', 'Loading the schedules…'));
      api(`/sites/${enc(site)}/schedules`).then((res) => {
        body.textContent = '';
        if (res.items.length === 0) return void body.appendChild(note('empty', owner ? 'No schedule yet: add one below (times are the site\'s local time; DST changes neither skip nor double a run).' : 'No schedule yet: the house owner sets them.'));
        body.appendChild(weekGrid(res.items));
        res.items.forEach((/** @type {any} */ s) =>
          body.appendChild(el('section', 'card', undefined, { 'data-schedule-id': s.id },
            el('h3', null, `${s.name}${s.enabled ? '' : ' (disabled)'}`),
            el('p', 'muted small', `${s.action.type === 'scene' ? 'scene' : `${s.action.deviceId} ${s.action.attribute}`} at ${s.slots.map(slotText).join(', ')} (${s.timeZone}); next: ${s.nextRun ? time(Date.parse(s.nextRun)) : 'none within 62 days'}`),
            itemControls('schedules', s, owner, load))));
      }, (err) => body.replaceChildren(note('error', `Could not load the schedules: ${err.message}. Try again in a moment.`)));
    };
    load();
    if (owner) root.appendChild(scheduleForm(site, load));
  },
};

/** @param {any} a */
function describe(a) {
  const t = a.trigger;
  const when = t.type === 'reading' ? `${t.deviceId} ${t.attribute} ${t.equals !== undefined ? `= ${String(t.equals)}` : t.above !== undefined ? `rises above ${t.above}` : `falls below ${t.below}`}`
    : t.type === 'offline' ? `${t.deviceId} goes offline` : t.type === 'alert' ? 'an alert is raised' : t.type === 'time' ? `${t.time} on ${t.days.map((/** @type {number} */ d) => DAYS[d - 1]).join(' ')}` : 'a scene is applied';
  const then = a.actions.map((/** @type {any} */ x) => (x.type === 'command' ? `${x.deviceId} ${x.attribute} → ${String(x.value)}${x.forSeconds ? ` for ${x.forSeconds} s` : ''}` : x.type === 'notify' ? `notify "${x.message}"` : x.type === 'wait' ? `wait ${x.seconds} s` : 'apply a scene')).join(', then ');
  return `When ${when}${a.conditions.length ? ` (if ${a.conditions.map((/** @type {any} */ c) => (c.type === 'time' ? `${c.from}–${c.to}` : c.type === 'home' ? 'someone is home' : `${c.deviceId} ${c.attribute}`)).join(' and ')})` : ''}: ${then}.`;
}

/** @param {string} site @param {() => void} done */
function automationForm(site, done) {
  const name = input({ type: 'text', maxlength: 100, required: true, placeholder: 'Hall motion', 'aria-label': 'Automation name' });
  const when = select([['reading', 'a reading'], ['offline', 'a device goes offline'], ['alert', 'an alert is raised']], { 'aria-label': 'Trigger kind' });
  const trigger = select([], { 'aria-label': 'Trigger attribute' });
  const op = select([['equals', 'is'], ['above', 'rises above'], ['below', 'falls below']], { 'aria-label': 'Trigger comparison' });
  const limit = input({ type: 'text', placeholder: 'true or 25', 'aria-label': 'Trigger value' });
  const from = input({ type: 'time', 'aria-label': 'Only from' });
  const to = input({ type: 'time', 'aria-label': 'Only until' });
  const doing = select([['command', 'set a device'], ['notify', 'tell the house\'s people']], { 'aria-label': 'Action kind' });
  const message = input({ type: 'text', maxlength: 500, placeholder: 'The hall door is open', 'aria-label': 'Message' });
  const action = select([], { 'aria-label': 'Action attribute' });
  const value = input({ type: 'text', placeholder: 'on', 'aria-label': 'Action value' });
  const seconds = input({ type: 'number', min: 1, max: 86400, placeholder: 'keep', 'aria-label': 'For seconds' });
  const msg = el('p', 'error', '', { role: 'status' });
  attributes(site).then((list) => {
    list.forEach((a) => trigger.appendChild(el('option', null, a.label, { value: JSON.stringify([a.deviceId, a.attribute]) })));
    list.filter((a) => a.controllable).forEach((a) => action.appendChild(el('option', null, a.label, { value: JSON.stringify([a.deviceId, a.attribute]) })));
  }, (err) => (msg.textContent = err.message));
  const form = el('form', 'card form', undefined, null, el('h3', null, 'New automation'), field('Name', name),
    el('fieldset', null, undefined, null, el('legend', null, 'When'), field('Kind', when), field('Device', trigger), field('', op), field('Value', limit)),
    el('fieldset', null, undefined, null, el('legend', null, 'Only between (optional, site time)'), field('From', from), field('To', to)),
    el('fieldset', null, undefined, null, el('legend', null, 'Then'), field('Kind', doing), field('Message', message), field('Set', action), field('To', value), field('For (seconds; renewed while the trigger repeats)', seconds)),
    el('button', 'button primary', 'Save automation', { type: 'submit' }), msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (when.value !== 'alert' && !trigger.value) return void (msg.textContent = 'Pick the device the automation watches first.');
    if (doing.value === 'command' && !action.value) return void (msg.textContent = 'Pick a controllable device to set first (or tell people instead).');
    if (doing.value === 'notify' && !message.value.trim()) return void (msg.textContent = 'Write the message people get.');
    const [tDevice, tAttr] = trigger.value ? JSON.parse(trigger.value) : [undefined, undefined];
    const v = parseValue(limit.value);
    /** @type {any} */
    let then = { type: 'notify', message: message.value.trim() };
    if (doing.value === 'command') {
      const [aDevice, aAttr] = JSON.parse(action.value);
      then = { type: 'command', deviceId: aDevice, attribute: aAttr, value: parseValue(value.value) };
      if (seconds.value) then.forSeconds = Number(seconds.value);
    }
    const body = {
      name: name.value.trim(),
      trigger: when.value === 'reading' ? { type: 'reading', deviceId: tDevice, attribute: tAttr, [op.value]: op.value === 'equals' ? v : Number(v) }
        : when.value === 'offline' ? { type: 'offline', deviceId: tDevice } : { type: 'alert' },
      conditions: from.value && to.value ? [{ type: 'time', from: from.value, to: to.value }] : [],
      actions: [then],
    };
    api(`/sites/${enc(site)}/automations`, { method: 'POST', body }).then(done, (err) => (msg.textContent = err.message));
  });
  return form;
}

/** @type {import('./types.js').Page} */
export const automationsPage = {
  title: 'Automations',
  /** @param {HTMLElement} view @param {string | undefined} wanted */
  enter: async (view, wanted) => {
    const root = el('div', 'automation-page');
    view.appendChild(root);
    root.appendChild(el('h2', null, 'Automations'));
    const site = await pickSite(root, wanted, 'automations');
    if (!site) return;
    const owner = roleAt(site) === 'owner';
    const body = el('div');
    root.appendChild(body);
    const load = () => {
      body.replaceChildren(note('loading', 'Loading the automations…'));
      api(`/sites/${enc(site)}/automations`).then((res) => {
        body.textContent = '';
        if (res.items.length === 0) body.appendChild(note('empty', owner ? 'No automation yet: build one below.' : 'No automation yet: the house owner makes them.'));
        res.items.forEach((/** @type {any} */ a) => {
          const runs = el('ul', 'runs', undefined, null, el('li', 'muted small', 'loading the last runs…'));
          body.appendChild(el('section', 'card', undefined, { 'data-automation-id': a.id }, el('h3', null, `${a.name}${a.enabled ? '' : ' (disabled)'}`), el('p', 'small', describe(a)), runs, itemControls('automations', a, owner, load)));
          api(`/automations/${enc(a.id)}/runs?limit=5`).then((r) => {
            runs.textContent = '';
            if (r.items.length === 0) runs.appendChild(el('li', 'muted small', 'Not run yet.'));
            r.items.forEach((/** @type {any} */ x) => runs.appendChild(el('li', `small run-${x.outcome}`, `${time(Date.parse(x.at))} ${x.outcome}: ${x.detail}`)));
          }, (err) => runs.replaceChildren(el('li', 'error', err.message)));
        });
      }, (err) => body.replaceChildren(note('error', `Could not load the automations: ${err.message}. Try again in a moment.`)));
    };
    load();
    if (owner) root.appendChild(automationForm(site, load));
  },
};
