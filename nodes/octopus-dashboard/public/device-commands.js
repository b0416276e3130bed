// @ts-check
// The device page's commands: a control per controllable attribute (switch, level slider,
// setpoint) that sends a command and shows where it stands; the stream tells each change
// (pending → confirmed / timeout / failed), and the command history below the charts.

import { api } from './api.js';
import { el } from './dom.js';
import { format, shortTime } from './format.js';

/** @typedef {import('./device-state.js').DevicePage} DevicePage */
/** @typedef {import('./device-state.js').Control} Control */
/** @typedef {import('./types.js').AttributeView} AttributeView */
/** @typedef {import('./types.js').CommandView} CommandView */
/** @typedef {import('./types.js').ControlSpec} ControlSpec */

/**
 * A command's status as a chip.
 * @param {CommandView} cmd
 */
function statusChip(cmd) {
  return el('span', 'cmd-status', cmd.status, { 'data-status': cmd.status, 'data-command-id': cmd.id, title: cmd.detail || '' });
}

/**
 * The input of a control, and how it shows a value.
 * @param {ControlSpec} spec
 * @param {string} name the attribute
 * @param {(value: unknown) => void} send
 * @returns {{ nodes: HTMLElement[], show: (value: unknown) => void }}
 */
function inputFor(spec, name, send) {
  if (spec.kind === 'switch') {
    const button = el('button', 'toggle', undefined, { type: 'button', role: 'switch', 'aria-label': 'Turn ' + name + ' on or off' });
    button.addEventListener('click', () => send(button.getAttribute('aria-checked') !== 'true'));
    return {
      nodes: [button],
      show: (value) => {
        const on = value === true || value === 'on' || value === 'ON' || value === 1 || value === 'true';
        button.setAttribute('aria-checked', on ? 'true' : 'false');
        button.textContent = on ? 'On' : 'Off';
      },
    };
  }
  if (spec.kind === 'level') {
    const slider = el('input', 'slider', undefined, { type: 'range', min: spec.min, max: spec.max, step: spec.step, 'aria-label': name });
    const out = el('output', 'slider-value');
    slider.addEventListener('input', () => {
      out.textContent = slider.value;
    });
    slider.addEventListener('change', () => send(Number(slider.value)));
    return {
      nodes: [slider, out],
      show: (value) => {
        if (document.activeElement !== slider) slider.value = String(value);
        out.textContent = String(value);
      },
    };
  }
  const field = el('input', 'setpoint', undefined, { type: 'number', min: spec.min, max: spec.max, step: spec.step, 'aria-label': name + ' setpoint' });
  const form = el('form', 'setpoint-form', undefined, null, field, el('button', 'button', 'Set', { type: 'submit' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send(Number(field.value));
  });
  return {
    nodes: [form],
    show: (value) => {
      if (document.activeElement !== field) field.value = String(value);
    },
  };
}

/**
 * The control of a controllable attribute; disabled until the stream says this viewer may control the site.
 * @param {DevicePage} page
 * @param {AttributeView} attr
 * @param {ControlSpec} spec
 * @returns {Control}
 */
export function controlFor(page, attr, spec) {
  const box = el('div', 'control', undefined, { 'data-attribute': attr.name, 'data-kind': spec.kind });
  const status = el('span', 'cmd-status', '', { 'data-status': 'idle' });
  /** @param {unknown} value */
  const send = (value) => {
    status.dataset.status = 'sending';
    status.textContent = 'sending…';
    status.title = '';
    api('/commands', { method: 'POST', body: { deviceId: page.deviceId, attribute: attr.name, value } }).then(
      (/** @type {CommandView} */ cmd) => {
        status.dataset.commandId = cmd.id;
        // The stream may have told the outcome before the answer came.
        showCommand(page, page.commands.get(cmd.id) || cmd);
      },
      (/** @type {Error} */ err) => {
        status.dataset.status = 'failed';
        status.textContent = 'failed';
        status.title = err.message;
        status.dataset.error = err.message;
      },
    );
  };
  const input = inputFor(spec, attr.name, send);
  input.nodes.forEach((n) => box.appendChild(n));
  box.appendChild(status);
  /** @type {Control} */
  const control = {
    box,
    status,
    setAllowed: (allowed) => {
      box.querySelectorAll('button, input').forEach((c) => {
        if (c instanceof HTMLButtonElement || c instanceof HTMLInputElement) c.disabled = !allowed;
      });
      box.title = allowed ? '' : 'You may not control devices of this site.';
      box.dataset.allowed = allowed ? 'true' : 'false';
    },
    show: input.show,
  };
  control.show(attr.value);
  // Enabled once the stream's snapshot says this viewer may control the device's site.
  control.setAllowed(false);
  return control;
}

/**
 * A command as it is now: remembered, and shown on the control that sent it.
 * @param {DevicePage} page
 * @param {CommandView} cmd
 */
export function showCommand(page, cmd) {
  if (page.closed) return;
  page.commands.set(cmd.id, cmd);
  page.panels.forEach((p) => {
    if (p.control && p.control.status.dataset.commandId === cmd.id) {
      p.control.status.dataset.status = cmd.status;
      p.control.status.textContent = cmd.status === 'pending' ? 'pending…' : cmd.status;
      p.control.status.title = cmd.detail || '';
    }
  });
}

/**
 * After the stream was down (a reconnect or a gap): the commands still pending then may have
 * ended meanwhile, so ask for them once; the stream tells every later change.
 * @param {DevicePage} page
 */
export function recheckPending(page) {
  page.commands.forEach((cmd) => {
    if (cmd.status !== 'pending') return;
    api('/commands/' + encodeURIComponent(cmd.id)).then(
      (/** @type {CommandView} */ now) => showCommand(page, now),
      () => {},
    );
  });
}

/**
 * The command history's table, empty until loadCommands.
 * @param {DevicePage} page
 */
export function commandSection(page) {
  const rows = el('tbody');
  const empty = el('p', 'muted', 'No command sent to this device yet.');
  const total = el('span', 'muted small');
  page.commandTable = { rows, empty, total };
  const table = el('table', 'table', undefined, null, el('thead', null, undefined, null, el('tr', null, undefined, null, el('th', null, 'Requested'), el('th', null, 'Attribute'), el('th', null, 'Value'), el('th', null, 'Status'), el('th', 'wide', 'Detail'), el('th', 'wide', 'By'))), rows);
  return el('section', 'commands', undefined, null, el('h3', null, 'Commands ', null, total), el('div', 'table-wrap', undefined, null, table), empty);
}

/** @param {DevicePage} page */
export function loadCommands(page) {
  if (page.closed) return;
  api('/devices/' + encodeURIComponent(page.deviceId) + '/commands?limit=20').then(
    (/** @type {import('./types.js').ListPage<CommandView>} */ body) => {
      const t = page.commandTable;
      if (page.closed || !t) return;
      t.rows.textContent = '';
      body.items.forEach((c) => {
        t.rows.appendChild(
          el('tr', null, undefined, { 'data-command-id': c.id }, el('td', 'nowrap', shortTime(Date.parse(c.requestedAt)), { title: c.requestedAt }), el('td', null, c.attribute), el('td', 'num', format(c.value)), el('td', null, undefined, null, statusChip(c)), el('td', 'muted wide', c.detail || ''), el('td', 'muted wide', c.requestedBy)),
        );
      });
      t.empty.hidden = body.items.length > 0;
      t.total.textContent = body.total > body.items.length ? 'latest ' + body.items.length + ' of ' + body.total : '';
    },
    (/** @type {Error} */ err) => {
      if (!page.closed && page.commandTable) page.commandTable.empty.textContent = 'command history unavailable: ' + err.message;
    },
  );
}
