// Overview: sites → rooms → device cards with the latest values, state and open alerts, live.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;
  var SPARK_POINTS = 60;
  var SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

  var root, sitesEl, emptyEl, searchEl, stateEl, siteEl, countEl;
  var devices, cards, alertsByDevice, timers, dirtySparks, sparkWatcher;

  function group(parent, cls, key, title, tag) {
    var found = null;
    for (var i = 0; i < parent.children.length; i++) {
      if (parent.children[i].dataset.key === key) found = parent.children[i];
    }
    if (found) return found.querySelector(':scope > .devices, :scope > .rooms');
    var section = el('section', cls, undefined, { 'data-key': key });
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

  /**
   * A row's sparkline: the series is kept from the first value, the chart is made only once the row
   * scrolls into view, so an overview of thousands of devices does not build thousands of charts.
   */
  function sparkline(row, attr) {
    if (typeof attr.value !== 'number') return;
    // Chart.js sizes a responsive chart from its container: the container's height must be fixed.
    var box = el('div', 'spark');
    row.appendChild(box);
    row._box = box;
    row._series = [attr.value];
    if (sparkWatcher) sparkWatcher.observe(box);
    else makeChart(row);
  }

  function makeChart(row) {
    if (row._chart || !window.Chart) return;
    var canvas = el('canvas');
    row._box.appendChild(canvas);
    row._chart = new window.Chart(canvas, {
      type: 'line',
      data: { labels: row._series.map(function () { return ''; }), datasets: [{ data: row._series, borderWidth: 1.5, pointRadius: 0, tension: 0.3, borderColor: O.accent }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false } } },
    });
  }

  function pushSpark(row, value) {
    if (!row._series || typeof value !== 'number') return;
    row._series.push(value);
    if (row._series.length > SPARK_POINTS) row._series.shift();
    // Redrawn in the next round, once however many values came: text first, pictures after.
    if (row._chart) dirtySparks.add(row);
  }

  /**
   * Redraws the sparklines that changed, a few milliseconds' worth at a time: a hundred charts in one
   * go would hold the page for a long frame, and a value arriving meanwhile would wait for it.
   */
  var drawing = false;
  function drawSparks() {
    if (drawing) return;
    drawing = true;
    var queue = Array.from(dirtySparks);
    dirtySparks.clear();
    (function slice() {
      var until = performance.now() + 4;
      while (queue.length && performance.now() < until) {
        var row = queue.shift();
        if (!row.isConnected || row.closest('[hidden]') || !row._chart) continue;
        row._chart.data.labels = row._series.map(function () { return ''; });
        row._chart.update('none');
      }
      if (queue.length) setTimeout(slice, 0);
      else drawing = false;
    })();
  }

  function attrRow(entry, deviceId, name, attr) {
    var row = el('div', 'attr');
    var value = el('span', 'value', O.format(attr.value, attr.unit));
    value.dataset.deviceId = deviceId;
    value.dataset.attribute = name;
    row.appendChild(el('span', 'label', name));
    row.appendChild(value);
    var age = el('span', 'age', 'updated ' + O.ago(attr.ts));
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
      var card = el('article', 'device', undefined, { 'data-device-id': d.deviceId });
      var head = el('header');
      var name = el('a', 'name', d.name || d.device, { href: O.deviceHref(d.deviceId), title: d.deviceId });
      var badge = el('span', 'badge', d.state || 'online', { 'data-state': d.state || 'online' });
      head.appendChild(name);
      head.appendChild(badge);
      card.appendChild(head);
      roomInner.appendChild(card);
      entry = { card: card, rows: new Map(), name: name, badge: badge };
      cards.set(d.deviceId, entry);
      addSiteOption(d.site);
    } else {
      entry.name.textContent = d.name || d.device;
      entry.badge.textContent = d.state || 'online';
      entry.badge.dataset.state = d.state || 'online';
    }
    entry.card.dataset.state = d.state || 'online';
    Object.keys(d.attributes || {}).sort().forEach(function (k) {
      var a = d.attributes[k];
      var row = entry.rows.get(k);
      if (!row) attrRow(entry, d.deviceId, k, a);
      else setValue(row, a);
    });
    renderAlerts(d.deviceId);
    applyFilter(entry);
    updateEmpty();
  }

  function setValue(row, a) {
    if (a.ts < row._ts) return;
    row._ts = a.ts;
    row._value.textContent = O.format(a.value, a.unit);
    // A highlight by the Web Animations API: restarting a CSS animation would force a layout per value.
    // Highlight a change only where changes are news (a value quiet for 5 s): on values that change
    // every second the highlights would never stop, and the page would repaint every frame for them.
    var now = Date.now();
    if (row._value.animate && !(row._changedAt > now - 5000)) {
      row._value.animate([{ color: O.accent }, { color: 'inherit' }], { duration: 800, easing: 'ease-out' });
    }
    row._changedAt = now;
    var age = 'updated ' + O.ago(a.ts);
    if (row._age.textContent !== age) row._age.textContent = age;
    pushSpark(row, a.value);
  }

  function applyReading(r) {
    var d = devices.get(r.deviceId);
    if (!d) d = { deviceId: r.deviceId, site: r.site, room: r.room, device: r.device, attributes: {} };
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

  function renderAlerts(deviceId) {
    var entry = cards.get(deviceId);
    if (!entry) return;
    var open = Array.from((alertsByDevice.get(deviceId) || new Map()).values());
    if (!entry.alerts) {
      if (open.length === 0) return;
      entry.alerts = el('ul', 'alerts');
      entry.card.insertBefore(entry.alerts, entry.card.children[1] || null);
    }
    entry.alerts.textContent = '';
    open.sort(function (a, b) { return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]; });
    open.forEach(function (a) {
      var li = el('li', 'alert', a.message || a.attribute);
      li.dataset.severity = a.severity;
      li.dataset.state = a.state;
      li.dataset.alertId = a.id;
      entry.alerts.appendChild(li);
    });
    entry.card.dataset.alert = open.length ? open[0].severity : '';
    applyFilter(entry);
  }

  function resetAlerts() {
    var before = Array.from(alertsByDevice.keys());
    alertsByDevice = new Map();
    O.alerts.forEach(function (a) {
      var byId = alertsByDevice.get(a.deviceId) || new Map();
      byId.set(a.id, a);
      alertsByDevice.set(a.deviceId, byId);
    });
    before.concat(Array.from(alertsByDevice.keys())).forEach(renderAlerts);
  }

  function applyAlert(a) {
    var byId = alertsByDevice.get(a.deviceId) || new Map();
    if (a.state === 'cleared') byId.delete(a.id);
    else byId.set(a.id, a);
    alertsByDevice.set(a.deviceId, byId);
    renderAlerts(a.deviceId);
  }

  function snapshot(data) {
    var seen = new Set();
    (data.devices || []).forEach(function (d) {
      seen.add(d.deviceId);
      renderDevice(d);
    });
    // devices forgotten while we were away
    cards.forEach(function (entry, id) {
      if (!seen.has(id)) removeDevice(id);
    });
    resetAlerts();
    updateEmpty();
  }

  function removeDevice(id) {
    var entry = cards.get(id);
    if (entry) {
      entry.rows.forEach(function (row) { if (row._chart) row._chart.destroy(); });
      entry.card.remove();
    }
    cards.delete(id);
    devices.delete(id);
    updateEmpty();
  }

  function addSiteOption(site) {
    for (var i = 0; i < siteEl.options.length; i++) if (siteEl.options[i].value === site) return;
    var option = el('option', null, site, { value: site });
    var after = null;
    for (var j = 1; j < siteEl.options.length; j++) if (siteEl.options[j].value > site) { after = siteEl.options[j]; break; }
    siteEl.insertBefore(option, after);
  }

  function applyFilter(entry) {
    var q = searchEl.value.trim().toLowerCase();
    var state = stateEl.value;
    var site = siteEl.value;
    var d = devices.get(entry.card.dataset.deviceId);
    if (!d) return;
    var text = [d.site, d.room, d.device, d.name || '', Object.keys(d.attributes || {}).join(' ')].join(' ').toLowerCase();
    var visible = (q === '' || text.indexOf(q) >= 0) && (site === '' || d.site === site);
    if (state === 'alerting') visible = visible && !!entry.card.dataset.alert;
    else if (state) visible = visible && (d.state || 'online') === state;
    entry.card.hidden = !visible;
  }

  function applyFilters() {
    cards.forEach(applyFilter);
    // Hide rooms and sites left without a visible card.
    sitesEl.querySelectorAll('.room').forEach(function (room) {
      room.hidden = !room.querySelector('article.device:not([hidden])');
    });
    sitesEl.querySelectorAll('.site').forEach(function (site) {
      site.hidden = !site.querySelector('.room:not([hidden])');
    });
    updateEmpty();
  }

  function updateEmpty() {
    var visible = 0;
    cards.forEach(function (e) { if (!e.card.hidden) visible++; });
    emptyEl.hidden = visible > 0;
    emptyEl.textContent = devices.size === 0 ? 'No device has reported yet. Start the simulator with “npm run simulate”.' : 'No device matches the filter.';
    countEl.textContent = devices.size === 0 ? '' : visible + ' of ' + devices.size + ' devices';
  }

  O.pages.overview = {
    title: 'Overview',
    enter: function (view) {
      O.accent = O.css('--accent', '#2f7fbf');
      sparkWatcher = window.IntersectionObserver
        ? new IntersectionObserver(function (entries) {
            entries.forEach(function (e) {
              if (!e.isIntersecting) return;
              sparkWatcher.unobserve(e.target);
              makeChart(e.target.parentNode);
            });
          }, { rootMargin: '200px' })
        : null;
      devices = new Map();
      cards = new Map();
      alertsByDevice = new Map();
      dirtySparks = new Set();
      searchEl = el('input', null, undefined, { id: 'search', type: 'search', placeholder: 'Search sites, rooms, devices…', 'aria-label': 'Search' });
      stateEl = el('select', null, undefined, { id: 'state-filter', 'aria-label': 'State' });
      [['', 'All states'], ['online', 'Online'], ['stale', 'Stale'], ['offline', 'Offline'], ['alerting', 'With alerts']].forEach(function (o) {
        stateEl.appendChild(el('option', null, o[1], { value: o[0] }));
      });
      siteEl = el('select', null, undefined, { id: 'site-filter', 'aria-label': 'Site' });
      siteEl.appendChild(el('option', null, 'All sites', { value: '' }));
      countEl = el('span', 'count muted');
      root = el('div', 'overview', undefined, null, el('div', 'toolbar', undefined, null, searchEl, stateEl, siteEl, countEl));
      sitesEl = el('div', null, undefined, { id: 'sites', 'aria-live': 'polite' });
      emptyEl = el('p', 'empty', undefined, { id: 'empty', hidden: '' });
      root.appendChild(sitesEl);
      root.appendChild(emptyEl);
      view.appendChild(root);
      [searchEl, stateEl, siteEl].forEach(function (c) { c.addEventListener('input', applyFilters); });
      timers = [
        setInterval(function () {
          cards.forEach(function (entry) {
            entry.rows.forEach(function (row) { row._age.textContent = 'updated ' + O.ago(row._ts); });
          });
        }, 5000),
        setInterval(drawSparks, 1000),
      ];
      O.live('?scope=overview', {
        snapshot: function (data) { snapshot(data); applyFilters(); },
        readings: function (list) { list.forEach(applyReading); },
        device: renderDevice,
        removed: function (d) { removeDevice(d.deviceId); },
        alert: function (t) { applyAlert(t.alert); },
        alerts: resetAlerts,
      });
    },
    leave: function () {
      timers.forEach(clearInterval);
      if (sparkWatcher) sparkWatcher.disconnect();
      cards.forEach(function (entry) {
        entry.rows.forEach(function (row) { if (row._chart) row._chart.destroy(); });
      });
    },
  };
})();
