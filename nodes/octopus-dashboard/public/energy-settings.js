// The Energy page's settings, folded away below the chart: the site's time zone and electricity
// tariff (with time-of-use windows), and what each attribute is (measurement, counter, state).
// Saving needs the owner's role; anyone else gets the API's sentence.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;

  function hourSelect(value, name) {
    var s = el('select', null, undefined, { name: name, 'aria-label': name });
    for (var h = 0; h <= 24; h++) {
      var v = (h < 10 ? '0' : '') + h + ':00';
      s.appendChild(el('option', null, v, { value: v }));
    }
    s.value = value;
    return s;
  }

  function windowRow(w, rows) {
    var from = hourSelect(w.from, 'from');
    var to = hourSelect(w.to, 'to');
    var price = el('input', null, undefined, { type: 'number', name: 'window-price', min: 0, step: 'any', 'aria-label': 'window price', value: w.price });
    var remove = el('button', 'button', '×', { type: 'button', 'aria-label': 'Remove window' });
    var row = el('div', 'tariff-window', undefined, null, from, el('span', 'muted', '–'), to, price, remove);
    row.read = function () { return { from: from.value, to: to.value, price: Number(price.value) }; };
    remove.addEventListener('click', function () { row.remove(); });
    rows.appendChild(row);
  }

  function tariffForm(site, settings, onZone) {
    var zone = el('input', null, undefined, { type: 'text', name: 'timeZone', list: 'zones', 'aria-label': 'Time zone', value: settings.timeZone });
    var zones = el('datalist', null, undefined, { id: 'zones' });
    (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).forEach(function (z) { zones.appendChild(el('option', null, undefined, { value: z })); });
    var t = settings.tariffs.energy || { currency: 'EUR', price: 0, windows: [] };
    var currency = el('input', null, undefined, { type: 'text', name: 'currency', maxlength: 3, 'aria-label': 'Currency', value: t.currency });
    var price = el('input', null, undefined, { type: 'number', name: 'price', min: 0, step: 'any', 'aria-label': 'Price per kWh', value: settings.tariffs.energy ? t.price : '' });
    var rows = el('div', 'tariff-windows');
    (t.windows || []).forEach(function (w) { windowRow(w, rows); });
    var add = el('button', 'button', 'Add a time window', { type: 'button' });
    add.addEventListener('click', function () { windowRow({ from: '22:00', to: '08:00', price: 0 }, rows); });
    var save = el('button', 'button primary', 'Save', { type: 'submit' });
    var msg = el('p', 'error', '', { role: 'status' });
    var form = el('form', 'energy-form', undefined, null,
      el('label', 'field', undefined, null, el('span', null, 'Time zone'), zone), zones,
      el('label', 'field', undefined, null, el('span', null, 'Currency'), currency),
      el('label', 'field', undefined, null, el('span', null, 'Price per kWh (empty: no cost shown)'), price),
      el('div', 'muted small', 'Time-of-use windows, local time; the first that covers an hour prices it:'), rows, add, save, msg);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var tariffs = {};
      if (price.value !== '') {
        tariffs.energy = { currency: currency.value.toUpperCase(), price: Number(price.value), windows: Array.prototype.map.call(rows.children, function (r) { return r.read(); }) };
      }
      msg.className = 'muted small';
      msg.textContent = 'saving…';
      O.api('/sites/' + encodeURIComponent(site) + '/energy/settings', { method: 'PUT', body: { timeZone: zone.value.trim(), tariffs: tariffs } }).then(
        function (saved) {
          msg.textContent = 'Saved.';
          onZone(saved.timeZone);
        },
        function (err) {
          msg.className = 'error';
          msg.textContent = err.message;
        },
      );
    });
    return form;
  }

  function classes(site) {
    var box = el('div', 'classes', undefined, null, el('p', 'muted small', 'loading…'));
    O.api('/sites/' + encodeURIComponent(site) + '/energy/attributes').then(
      function (list) {
        box.textContent = '';
        var numeric = list.items.filter(function (a) { return a.class !== 'state' || a.source === 'user'; });
        if (numeric.length === 0) box.appendChild(el('p', 'muted small', 'No numeric attribute reported yet.'));
        numeric.forEach(function (a) {
          var select = el('select', null, undefined, { 'aria-label': a.name + ' ' + a.attribute + ' class', 'data-device-id': a.deviceId, 'data-attribute': a.attribute });
          [['', 'automatic (' + (a.source === 'user' ? 'as the device says, else by unit and name' : a.source === 'device' ? a.class + ', as the device says' : a.class) + ')'], ['measurement', 'measurement'], ['counter', 'counter (total, may reset)'], ['state', 'state']].forEach(function (o) {
            select.appendChild(el('option', null, o[1], { value: o[0] }));
          });
          select.value = a.source === 'user' ? a.class : '';
          var note = el('span', 'muted small', '');
          select.addEventListener('change', function () {
            note.textContent = 'saving…';
            O.api('/devices/' + encodeURIComponent(a.deviceId) + '/attributes/' + encodeURIComponent(a.attribute) + '/class', { method: 'PUT', body: { class: select.value || null } }).then(
              function (saved) { note.textContent = 'now ' + saved.class; },
              function (err) { note.textContent = err.message; },
            );
          });
          box.appendChild(el('div', 'class-row', undefined, null, el('span', null, a.name + ' · ' + a.attribute + (a.unit ? ' (' + a.unit + ')' : '')), select, note));
        });
      },
      function (err) { box.textContent = 'Could not load the attributes: ' + err.message; },
    );
    return box;
  }

  /** The settings block for a site; `onZone` hears a saved time zone (the chart reloads in it). */
  O.energySettings = function (site, onZone) {
    var wrap = el('div', 'energy-settings');
    var tariff = el('details', 'card', undefined, null, el('summary', null, 'Time zone and tariff'), el('p', 'muted small', 'loading…'));
    var cls = el('details', 'card', undefined, null, el('summary', null, 'Counters and classes'));
    tariff.addEventListener('toggle', function once() {
      tariff.removeEventListener('toggle', once);
      O.api('/sites/' + encodeURIComponent(site) + '/energy/settings').then(
        function (s) {
          tariff.lastChild.remove();
          tariff.appendChild(tariffForm(site, s, onZone));
        },
        function (err) { tariff.lastChild.textContent = 'Could not load the settings: ' + err.message; },
      );
    });
    cls.addEventListener('toggle', function once() {
      cls.removeEventListener('toggle', once);
      cls.appendChild(classes(site));
    });
    wrap.appendChild(tariff);
    wrap.appendChild(cls);
    return wrap;
  };
})();
