// The live page: builds the DOM from data with textContent only (device names and values are
// never parsed as HTML), and follows the server's event stream, resyncing on every reconnect.
(function () {
  'use strict';

  var sitesEl = document.getElementById('sites');
  var emptyEl = document.getElementById('empty');
  var connEl = document.getElementById('connection');
  var searchEl = document.getElementById('search');
  var devices = new Map(); // deviceId -> device
  var cards = new Map(); // deviceId -> {card, rows: Map(attribute -> row)}
  var serverOffset = 0;
  var SPARK_POINTS = 60;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function formatValue(v, unit) {
    var text = typeof v === 'number' ? (Math.round(v * 100) / 100).toString() : typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
    return unit ? text + ' ' + unit : text;
  }

  function ago(ts) {
    var s = Math.max(0, Math.round((Date.now() + serverOffset - ts) / 1000));
    if (s < 60) return 'updated ' + s + ' s ago';
    if (s < 3600) return 'updated ' + Math.round(s / 60) + ' min ago';
    if (s < 86400 * 2) return 'updated ' + Math.round(s / 3600) + ' h ago';
    return 'updated ' + new Date(ts).toLocaleDateString();
  }

  function group(parent, cls, key, title, tag) {
    var found = null;
    for (var i = 0; i < parent.children.length; i++) {
      if (parent.children[i].dataset.key === key) found = parent.children[i];
    }
    if (found) return found.querySelector(':scope > .devices, :scope > .rooms');
    var section = el('section', cls);
    section.dataset.key = key;
    section.appendChild(el(tag, null, title));
    var inner = cls === 'room' ? el('div', 'devices') : el('div', 'rooms');
    section.appendChild(inner);
    // keep sections sorted by name
    var after = null;
    for (var j = 0; j < parent.children.length; j++) {
      if (parent.children[j].dataset.key > key) { after = parent.children[j]; break; }
    }
    parent.insertBefore(section, after);
    return inner;
  }

  function sparkline(row, attr) {
    if (!window.Chart || typeof attr.value !== 'number') return;
    // Chart.js sizes a responsive chart from its container: the container's height must be fixed.
    var box = el('div', 'spark');
    var canvas = el('canvas');
    box.appendChild(canvas);
    row.appendChild(box);
    row._series = [attr.value];
    row._chart = new window.Chart(canvas, {
      type: 'line',
      data: { labels: [''], datasets: [{ data: row._series, borderWidth: 1.5, pointRadius: 0, tension: 0.3, borderColor: getComputedStyle(document.body).getPropertyValue('--accent') || '#2f7fbf' }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false } } },
    });
  }

  function pushSpark(row, value) {
    if (!row._chart || typeof value !== 'number') return;
    row._series.push(value);
    if (row._series.length > SPARK_POINTS) row._series.shift();
    row._chart.data.labels = row._series.map(function () { return ''; });
    row._chart.update('none');
  }

  function attrRow(entry, deviceId, name, attr) {
    var row = el('div', 'attr');
    var value = el('span', 'value', formatValue(attr.value, attr.unit));
    value.dataset.deviceId = deviceId;
    value.dataset.attribute = name;
    row.appendChild(el('span', 'label', name));
    row.appendChild(value);
    var age = el('span', 'age', ago(attr.ts));
    row.appendChild(age);
    row._value = value;
    row._age = age;
    row._ts = attr.ts;
    sparkline(row, attr);
    entry.rows.set(name, row);
    entry.card.appendChild(row);
    return row;
  }

  function renderDevice(d) {
    devices.set(d.deviceId, d);
    var entry = cards.get(d.deviceId);
    if (!entry) {
      var siteInner = group(sitesEl, 'site', d.site, d.site, 'h2');
      var roomInner = group(siteInner, 'room', d.site + '\u0000' + d.room, d.room || '(no room)', 'h3');
      var card = el('article', 'device');
      card.dataset.deviceId = d.deviceId;
      var head = el('header');
      var name = el('span', 'name', d.name || d.device);
      var badge = el('span', 'badge', d.state || 'online');
      badge.dataset.state = d.state || 'online';
      head.appendChild(name);
      head.appendChild(badge);
      card.appendChild(head);
      roomInner.appendChild(card);
      entry = { card: card, rows: new Map(), name: name, badge: badge };
      cards.set(d.deviceId, entry);
    } else {
      entry.name.textContent = d.name || d.device;
      entry.badge.textContent = d.state || 'online';
      entry.badge.dataset.state = d.state || 'online';
    }
    Object.keys(d.attributes || {}).sort().forEach(function (k) {
      var a = d.attributes[k];
      var row = entry.rows.get(k);
      if (!row) attrRow(entry, d.deviceId, k, a);
      else setValue(row, a);
    });
    applyFilter(entry.card);
    emptyEl.hidden = devices.size > 0;
  }

  function setValue(row, a) {
    if (a.ts < row._ts) return;
    row._ts = a.ts;
    row._value.textContent = formatValue(a.value, a.unit);
    row._value.classList.remove('flash');
    void row._value.offsetWidth; // restart the highlight
    row._value.classList.add('flash');
    row._age.textContent = ago(a.ts);
    pushSpark(row, a.value);
  }

  function applyReading(r) {
    var d = devices.get(r.deviceId);
    if (!d) {
      d = { deviceId: r.deviceId, site: r.site, room: r.room, device: r.device, attributes: {} };
    }
    d.attributes[r.attribute] = { value: r.value, unit: r.unit, ts: r.ts };
    var entry = cards.get(r.deviceId);
    var row = entry && entry.rows.get(r.attribute);
    if (row) {
      devices.set(d.deviceId, d);
      setValue(row, d.attributes[r.attribute]);
    } else {
      renderDevice(d);
    }
  }

  // Open alerts by device: shown on the device's card, worst first.
  var alertsByDevice = new Map(); // deviceId -> Map(alertId -> alert)
  var SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

  function renderAlerts(deviceId) {
    var entry = cards.get(deviceId);
    if (!entry) return;
    if (!entry.alerts) {
      entry.alerts = el('ul', 'alerts');
      entry.card.insertBefore(entry.alerts, entry.card.children[1] || null);
    }
    entry.alerts.textContent = '';
    var open = Array.from((alertsByDevice.get(deviceId) || new Map()).values());
    open.sort(function (a, b) { return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]; });
    open.forEach(function (a) {
      var li = el('li', 'alert', a.message || a.attribute);
      li.dataset.severity = a.severity;
      li.dataset.state = a.state;
      li.dataset.alertId = a.id;
      entry.alerts.appendChild(li);
    });
    entry.card.dataset.alert = open.length ? open[0].severity : '';
  }

  function applyAlert(a) {
    var byId = alertsByDevice.get(a.deviceId) || new Map();
    if (a.state === 'cleared') byId.delete(a.id);
    else byId.set(a.id, a);
    alertsByDevice.set(a.deviceId, byId);
    renderAlerts(a.deviceId);
  }

  function snapshot(data) {
    serverOffset = data.serverTime ? data.serverTime - Date.now() : 0;
    var seen = new Set();
    (data.devices || []).forEach(function (d) {
      seen.add(d.deviceId);
      renderDevice(d);
    });
    // devices forgotten while we were away
    cards.forEach(function (entry, id) {
      if (!seen.has(id)) {
        entry.card.remove();
        cards.delete(id);
        devices.delete(id);
      }
    });
    emptyEl.hidden = devices.size > 0;
    resetAlerts(data.alerts || []);
  }

  function resetAlerts(open) {
    var before = Array.from(alertsByDevice.keys());
    alertsByDevice = new Map();
    open.forEach(applyAlert);
    before.forEach(function (id) { if (!alertsByDevice.has(id)) renderAlerts(id); });
  }

  function applyFilter(card) {
    var q = searchEl.value.trim().toLowerCase();
    var d = devices.get(card.dataset.deviceId);
    var text = d ? [d.site, d.room, d.device, d.name || '', Object.keys(d.attributes || {}).join(' ')].join(' ').toLowerCase() : '';
    card.hidden = q !== '' && text.indexOf(q) < 0;
  }

  searchEl.addEventListener('input', function () {
    cards.forEach(function (entry) { applyFilter(entry.card); });
  });

  setInterval(function () {
    cards.forEach(function (entry) {
      entry.rows.forEach(function (row) { row._age.textContent = ago(row._ts); });
    });
  }, 5000);

  function setConnection(state, text) {
    connEl.dataset.state = state;
    connEl.textContent = text;
  }

  var source = new EventSource('events');
  source.addEventListener('open', function () { setConnection('live', 'live'); });
  source.addEventListener('error', function () { setConnection('down', 'reconnecting…'); });
  source.addEventListener('snapshot', function (e) { snapshot(JSON.parse(e.data)); setConnection('live', 'live'); });
  source.addEventListener('readings', function (e) { JSON.parse(e.data).forEach(applyReading); });
  source.addEventListener('device', function (e) { renderDevice(JSON.parse(e.data)); });
  source.addEventListener('alert', function (e) { applyAlert(JSON.parse(e.data).alert); });
  source.addEventListener('alerts', function (e) { resetAlerts(JSON.parse(e.data)); });
  source.addEventListener('removed', function (e) {
    var id = JSON.parse(e.data).deviceId;
    var entry = cards.get(id);
    if (entry) entry.card.remove();
    cards.delete(id);
    devices.delete(id);
  });
})();
