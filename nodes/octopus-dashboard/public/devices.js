// Devices: the registry as a table; each row's metadata (name, room, kind, expected interval,
// controllable attributes) edited in place and saved with PATCH /devices/{id}.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;
  var PAGE = 100;
  var page;

  function seconds(ms) {
    if (ms === null || ms === undefined) return '';
    return ms % 60000 === 0 && ms >= 60000 ? ms / 60000 + ' min' : Math.round(ms / 1000) + ' s';
  }

  function controlsText(d) {
    var c = d.attributes.filter(function (a) { return a.controllable; });
    return c.map(function (a) { return a.name + ' (' + a.controllable.kind + ')'; }).join(', ');
  }

  function row(d) {
    var tr = el('tr', null, undefined, { 'data-device-id': d.deviceId });
    tr.appendChild(el('td', 'name-cell', undefined, null, el('a', 'name', d.name || d.device, { href: O.deviceHref(d.deviceId) }), el('div', 'muted small mono', d.deviceId)));
    tr.appendChild(el('td', 'wide', d.site));
    tr.appendChild(el('td', 'room', d.room));
    tr.appendChild(el('td', 'kind', d.kind || ''));
    tr.appendChild(el('td', null, undefined, null, el('span', 'badge', d.state, { 'data-state': d.state })));
    tr.appendChild(el('td', 'interval wide', d.expectedIntervalMs ? seconds(d.expectedIntervalMs) + ' (set)' : seconds(d.intervalMs)));
    tr.appendChild(el('td', 'controls-cell wide', controlsText(d)));
    var edit = el('button', 'button', 'Edit', { type: 'button', 'data-action': 'edit' });
    edit.addEventListener('click', function () { openEditor(d, tr); });
    tr.appendChild(el('td', null, undefined, null, edit));
    return tr;
  }

  function field(label, input) {
    return el('label', 'field', undefined, null, el('span', null, label), input);
  }

  /** The edit form for one device, in a row under it. Only changed fields are sent; empty clears. */
  function openEditor(d, tr) {
    var existing = tr.nextElementSibling;
    if (existing && existing.classList.contains('editor-row')) {
      existing.remove();
      return;
    }
    var name = el('input', null, undefined, { name: 'name', type: 'text', maxlength: 200 });
    name.value = d.name || '';
    var room = el('input', null, undefined, { name: 'room', type: 'text', maxlength: 200 });
    room.value = d.room;
    var kind = el('input', null, undefined, { name: 'kind', type: 'text', maxlength: 200, list: 'kinds' });
    kind.value = d.kind || '';
    var interval = el('input', null, undefined, { name: 'expectedInterval', type: 'number', min: 1, max: 604800, step: 1, placeholder: 'learned: ' + seconds(d.learnedIntervalMs || d.intervalMs) });
    interval.value = d.expectedIntervalMs ? String(Math.round(d.expectedIntervalMs / 1000)) : '';
    var controls = el('div', 'controls-editor');
    var rows = d.attributes.map(function (a) {
      var spec = a.controllable || { kind: '' };
      var k = el('select', null, undefined, { name: 'control-kind', 'data-attribute': a.name, 'aria-label': a.name + ' control' });
      [['', 'not controllable'], ['switch', 'switch (on/off)'], ['level', 'level (slider)'], ['setpoint', 'setpoint']].forEach(function (o) {
        k.appendChild(el('option', null, o[1], { value: o[0] }));
      });
      k.value = spec.kind;
      var num = function (n, v) {
        var i = el('input', 'small-num', undefined, { type: 'number', step: 'any', name: n, placeholder: n, 'aria-label': a.name + ' ' + n });
        if (v !== undefined) i.value = String(v);
        return i;
      };
      var min = num('min', spec.min);
      var max = num('max', spec.max);
      var step = num('step', spec.step);
      var range = el('span', 'range-inputs', undefined, null, min, max, step);
      var sync = function () { range.hidden = k.value === '' || k.value === 'switch'; };
      k.addEventListener('change', sync);
      sync();
      controls.appendChild(el('div', 'control-row', undefined, null, el('span', 'mono', a.name), k, range));
      return { name: a.name, kind: k, min: min, max: max, step: step };
    });
    if (rows.length === 0) controls.appendChild(el('span', 'muted', 'No attribute reported yet.'));
    var error = el('span', 'error');
    var save = el('button', 'button primary', 'Save', { type: 'submit' });
    var cancel = el('button', 'button', 'Cancel', { type: 'button' });
    var form = el('form', 'editor', undefined, { 'data-device-id': d.deviceId }, el('div', 'fields', undefined, null, field('Name', name), field('Room', room), field('Kind', kind), field('Expected interval (s)', interval)), el('div', 'field-title muted small', 'Controllable attributes'), controls, el('div', 'actions', undefined, null, save, cancel, error));
    cancel.addEventListener('click', function () { editorRow.remove(); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var patch = {};
      var text = function (key, input, current) {
        var v = input.value.trim();
        if (v !== (current || '')) patch[key] = v === '' ? null : v;
      };
      text('name', name, d.name);
      text('kind', kind, d.kind);
      if (room.value.trim() !== d.room) patch.room = room.value.trim() === '' ? null : room.value.trim();
      var ms = interval.value.trim() === '' ? null : Math.round(Number(interval.value) * 1000);
      if (ms !== (d.expectedIntervalMs || null)) patch.expectedIntervalMs = ms;
      var specs = {};
      var bad = '';
      rows.forEach(function (r) {
        if (!r.kind.value) return;
        if (r.kind.value === 'switch') {
          specs[r.name] = { kind: 'switch' };
          return;
        }
        var s = { kind: r.kind.value, min: Number(r.min.value), max: Number(r.max.value), step: Number(r.step.value) };
        if ([r.min.value, r.max.value, r.step.value].some(function (v) { return v.trim() === ''; })) bad = r.name + ': a ' + r.kind.value + ' needs min, max and step';
        specs[r.name] = s;
      });
      if (bad) {
        error.textContent = bad;
        return;
      }
      var before = {};
      d.attributes.forEach(function (a) { if (a.controllable) before[a.name] = a.controllable; });
      if (JSON.stringify(specs) !== JSON.stringify(before)) patch.controls = specs;
      if (Object.keys(patch).length === 0) {
        editorRow.remove();
        return;
      }
      save.disabled = true;
      error.textContent = '';
      O.api('/devices/' + encodeURIComponent(d.deviceId), { method: 'PATCH', body: patch }).then(
        function (updated) {
          editorRow.remove();
          var fresh = row(updated);
          tr.replaceWith(fresh);
          fresh.classList.add('saved');
        },
        function (err) {
          save.disabled = false;
          error.textContent = err.message;
        },
      );
    });
    var editorRow = el('tr', 'editor-row', undefined, null, el('td', null, undefined, { colspan: 8 }, form));
    tr.after(editorRow);
    name.focus();
  }

  function load() {
    if (!page) return;
    var mine = page;
    var f = page.filters;
    O.api('/devices' + O.query({ q: f.q.value.trim(), state: f.state.value, limit: PAGE, offset: page.offset })).then(
      function (body) {
        if (page !== mine) return;
        page.error.textContent = '';
        page.rows.textContent = '';
        var kinds = new Set();
        body.items.forEach(function (d) {
          page.rows.appendChild(row(d));
          if (d.kind) kinds.add(d.kind);
        });
        page.kinds.textContent = '';
        Array.from(kinds).concat(['thermostat', 'light', 'dimmer', 'power', 'humidity', 'door', 'motion', 'co2']).forEach(function (k) {
          page.kinds.appendChild(el('option', null, undefined, { value: k }));
        });
        page.empty.hidden = body.items.length > 0;
        var last = page.offset + body.items.length;
        page.pager.text.textContent = body.total ? page.offset + 1 + '–' + last + ' of ' + body.total : '';
        page.pager.prev.disabled = page.offset === 0;
        page.pager.next.disabled = last >= body.total;
      },
      function (err) {
        if (page === mine) page.error.textContent = 'registry unavailable: ' + err.message;
      },
    );
  }

  O.pages.devices = {
    title: 'Devices',
    enter: function (view) {
      page = { offset: 0 };
      var q = el('input', null, undefined, { type: 'search', name: 'q', placeholder: 'Search name, id, room…', 'aria-label': 'Search devices' });
      var state = el('select', null, undefined, { name: 'state', 'aria-label': 'State' });
      [['', 'All states'], ['online', 'Online'], ['stale', 'Stale'], ['offline', 'Offline']].forEach(function (o) { state.appendChild(el('option', null, o[1], { value: o[0] })); });
      page.filters = { q: q, state: state };
      var timer = null;
      q.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          if (!page) return;
          page.offset = 0;
          load();
        }, 250);
      });
      state.addEventListener('change', function () { page.offset = 0; load(); });
      page.rows = el('tbody');
      page.kinds = el('datalist', null, undefined, { id: 'kinds' });
      page.empty = el('p', 'empty', 'No device matches.', { hidden: '' });
      page.error = el('p', 'error');
      var prev = el('button', 'button', '← Previous', { type: 'button' });
      var next = el('button', 'button', 'Next →', { type: 'button' });
      page.pager = { prev: prev, next: next, text: el('span', 'muted small') };
      prev.addEventListener('click', function () { page.offset = Math.max(0, page.offset - PAGE); load(); });
      next.addEventListener('click', function () { page.offset += PAGE; load(); });
      var head = el('tr');
      ['Device', 'Site*', 'Room', 'Kind', 'State', 'Interval*', 'Controls*', ''].forEach(function (h) {
        var wide = h.slice(-1) === '*';
        head.appendChild(el('th', wide ? 'wide' : null, wide ? h.slice(0, -1) : h));
      });
      var table = el('table', 'table registry', undefined, { id: 'registry' }, el('thead', null, undefined, null, head), page.rows);
      view.appendChild(el('section', 'devices-page', undefined, null, el('h2', null, 'Devices'), el('div', 'toolbar', undefined, null, q, state), page.error, el('div', 'table-wrap', undefined, null, table), page.kinds, page.empty, el('div', 'pager', undefined, null, prev, page.pager.text, next)));
      load();
      // Alerts only: the table is a snapshot of the registry, refreshed by the user.
      O.live('?scope=alerts', {});
    },
    leave: function () {
      page = null;
    },
  };
})();
