// Energy: consumption of a site's counters (kWh, m³) per hour, day or month in the site's time
// zone, with the previous period overlaid, top consumers and the split per room; a Download of
// the shown range; the site's time zone, tariff and attribute classes for owners. Phone first:
// one column, the chart full width, lists below.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;
  var state = null;

  // view → bucket period, how the range moves, how a bucket is labelled
  var VIEWS = {
    day: { period: 'hour', label: 'Day', tick: { hour: '2-digit' } },
    week: { period: 'day', label: 'Week', tick: { weekday: 'short' } },
    month: { period: 'day', label: 'Month', tick: { day: 'numeric' } },
    year: { period: 'month', label: 'Year', tick: { month: 'short' } },
  };

  /** The zone's offset from UTC at instant t (ms), from the browser's own time zone data. */
  function offsetAt(t, zone) {
    var parts = {};
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(t))
      .forEach(function (p) { parts[p.type] = Number(p.value); });
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(t / 1000) * 1000;
  }

  /** The instant that is local midnight of y-m-d in the zone (Date.UTC rolls days and months over). */
  function localMidnight(y, m, d, zone) {
    var guess = Date.UTC(y, m, d);
    var t = guess - offsetAt(guess, zone);
    return guess - offsetAt(t, zone);
  }

  /** The local calendar date of instant t in the zone. */
  function localDate(t, zone) {
    var shifted = new Date(t + offsetAt(t, zone));
    return { y: shifted.getUTCFullYear(), m: shifted.getUTCMonth(), d: shifted.getUTCDate(), dow: (shifted.getUTCDay() + 6) % 7 };
  }

  /** [from, to) of the view around the anchor date, in the site's zone. */
  function rangeOf(view, a, zone) {
    if (view === 'day') return { from: localMidnight(a.y, a.m, a.d, zone), to: localMidnight(a.y, a.m, a.d + 1, zone) };
    if (view === 'week') return { from: localMidnight(a.y, a.m, a.d - a.dow, zone), to: localMidnight(a.y, a.m, a.d - a.dow + 7, zone) };
    if (view === 'month') return { from: localMidnight(a.y, a.m, 1, zone), to: localMidnight(a.y, a.m + 1, 1, zone) };
    return { from: localMidnight(a.y, 0, 1, zone), to: localMidnight(a.y + 1, 0, 1, zone) };
  }

  function shift(view, a, step, zone) {
    var t;
    if (view === 'day') t = localMidnight(a.y, a.m, a.d + step, zone);
    else if (view === 'week') t = localMidnight(a.y, a.m, a.d + 7 * step, zone);
    else if (view === 'month') t = localMidnight(a.y, a.m + step, 1, zone);
    else t = localMidnight(a.y + step, 0, 1, zone);
    return localDate(t + 6 * 3600000, zone);
  }

  function money(v, currency) {
    if (v === null || v === undefined) return '';
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency }).format(v);
    } catch {
      return v.toFixed(2) + ' ' + currency;
    }
  }

  function amount(v, unit) {
    return (Math.round(v * 100) / 100).toLocaleString() + ' ' + unit;
  }

  function setStatus(text, kind) {
    if (!state) return;
    state.status.textContent = text;
    state.status.dataset.kind = kind || '';
    state.status.hidden = !text;
  }

  function query(extra) {
    var r = rangeOf(state.view, state.anchor, state.zone);
    return O.query(Object.assign({ period: VIEWS[state.view].period, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), quantity: state.quantity }, extra || {}));
  }

  function updateDownload() {
    var r = rangeOf(state.view, state.anchor, state.zone);
    state.download.href = O.apiBase + '/sites/' + encodeURIComponent(state.site) + '/export' +
      O.query({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), resolution: state.view === 'day' ? '1h' : '1day', format: 'csv' });
  }

  function load() {
    if (!state || !state.site) return;
    var mine = state;
    var token = (state.token = {});
    state.box.dataset.state = 'loading';
    setStatus('loading…', 'loading');
    updateDownload();
    O.api('/sites/' + encodeURIComponent(state.site) + '/consumption' + query({ previous: true })).then(
      function (c) {
        if (state !== mine || state.token !== token) return;
        render(c);
      },
      function (err) {
        if (state !== mine || state.token !== token) return;
        state.box.dataset.state = 'error';
        setStatus(err.status ? 'Could not load the consumption: ' + err.message : 'The server cannot be reached: check the connection; the page tries again when you change the range.', 'error');
      },
    );
  }

  function render(c) {
    var view = VIEWS[state.view];
    var fmt = new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: c.timeZone }, view.tick));
    var labels = c.buckets.map(function (b) { return fmt.format(new Date(b.start)); });
    var chart = state.chart;
    chart.data.labels = labels;
    chart.data.datasets[0].data = c.buckets.map(function (b) { return b.total; });
    chart.data.datasets[1].data = c.buckets.map(function (_b, i) { return c.previous && c.previous.buckets[i] ? c.previous.buckets[i].total : null; });
    chart.options.plugins.tooltip.callbacks.label = function (item) { return item.dataset.label + ': ' + amount(item.parsed.y, c.unit); };
    chart.update();
    state.box.dataset.state = 'ready';
    state.box.dataset.buckets = String(c.buckets.length);

    var title = new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: c.timeZone }, state.view === 'year' ? { year: 'numeric' } : state.view === 'month' ? { year: 'numeric', month: 'long' } : { year: 'numeric', month: 'short', day: 'numeric' }));
    state.title.textContent = (state.view === 'week' ? 'Week of ' : '') + title.format(new Date(c.from));
    var before = c.previous ? c.previous.buckets.reduce(function (a, b) { return a + b.total; }, 0) : 0;
    var change = before > 0 ? Math.round(((c.total - before) / before) * 100) : null;
    state.total.textContent = amount(c.total, c.unit) + (c.cost !== null ? ' · ' + money(c.cost, c.currency) : '');
    state.compare.textContent = change === null ? 'nothing to compare with in the period before' : (change >= 0 ? '+' : '') + change + ' % against the period before (' + amount(before, c.unit) + ')';
    state.zoneNote.textContent = 'Times in ' + c.timeZone;

    list(state.consumers, c.devices.slice(0, 10).map(function (d) { return { name: d.name, detail: d.room + ' · ' + d.attribute, total: d.total, cost: d.cost, href: O.deviceHref(d.deviceId) }; }), c);
    list(state.rooms, c.rooms.map(function (r) { return { name: r.room, total: r.total, cost: r.cost }; }), c);
    if (c.devices.length === 0) setStatus('No ' + (state.quantity === 'energy' ? 'energy' : 'water or gas') + ' counters in this site yet. Attributes in kWh, Wh or m³ count by themselves; any other can be made a counter under “Counters and classes”.', 'empty');
    else if (c.total === 0) setStatus('No consumption recorded in this period.', 'empty');
    else setStatus('');
  }

  /** A ranked list with a bar per line, sized against the largest. */
  function list(target, rows, c) {
    target.textContent = '';
    var max = rows.reduce(function (m, r) { return Math.max(m, r.total); }, 0);
    var sum = rows.reduce(function (s, r) { return s + r.total; }, 0);
    rows.forEach(function (r) {
      var bar = el('span', 'share-bar');
      // Through the CSSOM: the page's CSP (style-src 'self') refuses style attributes.
      bar.style.width = (max > 0 ? Math.max(2, (r.total / max) * 100) : 0) + '%';
      var name = r.href ? el('a', 'name', r.name, { href: r.href }) : el('span', 'name', r.name);
      target.appendChild(el('li', 'share', undefined, { 'data-name': r.name }, el('div', 'share-head', undefined, null, name,
        el('span', 'share-value', amount(r.total, c.unit) + (sum > 0 ? ' · ' + Math.round((r.total / sum) * 100) + ' %' : '') + (r.cost !== null ? ' · ' + money(r.cost, c.currency) : ''))),
        r.detail ? el('div', 'muted small', r.detail) : null, el('div', 'share-track', undefined, null, bar)));
    });
    if (rows.length === 0) target.appendChild(el('li', 'muted small', 'nothing yet'));
  }

  /** A #rrggbb colour at the given opacity (other notations are kept as they are). */
  function translucent(color, alpha) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
    return m ? 'rgba(' + parseInt(m[1], 16) + ',' + parseInt(m[2], 16) + ',' + parseInt(m[3], 16) + ',' + alpha + ')' : color;
  }

  function makeChart(canvas) {
    var accent = O.css('--accent', '#2f7fbf');
    var muted = O.css('--muted', '#667085');
    var grid = O.css('--line', '#e3e6eb');
    return new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { label: 'this period', data: [], backgroundColor: accent, borderRadius: 2, grouped: false, barPercentage: 0.5, categoryPercentage: 0.9, order: 1 },
          // Wider and translucent behind the current bars, so both show on a phone's narrow slots.
          { label: 'period before', data: [], backgroundColor: translucent(muted, 0.35), borderColor: muted, borderWidth: 1, grouped: false, barPercentage: 0.95, categoryPercentage: 0.9, order: 2 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: true, labels: { color: muted, boxWidth: 12 } }, tooltip: { callbacks: {} } },
        scales: { x: { ticks: { color: muted, autoSkip: true, maxRotation: 0 }, grid: { display: false } }, y: { beginAtZero: true, ticks: { color: muted, maxTicksLimit: 6 }, grid: { color: grid } } },
      },
    });
  }

  function build(view, sites, site) {
    var siteSelect = el('select', null, undefined, { id: 'energy-site', 'aria-label': 'Site' });
    sites.forEach(function (s) { siteSelect.appendChild(el('option', null, s.site, { value: s.site })); });
    siteSelect.value = site;
    siteSelect.addEventListener('change', function () { location.hash = '#/energy/' + encodeURIComponent(siteSelect.value); });
    var views = el('div', 'segmented', undefined, { role: 'group', 'aria-label': 'Period' });
    Object.keys(VIEWS).forEach(function (k) {
      var b = el('button', 'button', VIEWS[k].label, { type: 'button', 'data-view': k, 'aria-pressed': String(k === state.view) });
      b.addEventListener('click', function () {
        state.view = k;
        views.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', String(x === b)); });
        load();
      });
      views.appendChild(b);
    });
    var quantity = el('select', null, undefined, { id: 'energy-quantity', 'aria-label': 'What to count' });
    quantity.appendChild(el('option', null, 'Electricity (kWh)', { value: 'energy' }));
    quantity.appendChild(el('option', null, 'Water / gas (m³)', { value: 'volume' }));
    quantity.addEventListener('change', function () { state.quantity = quantity.value; load(); });
    var prev = el('button', 'button', '‹', { type: 'button', 'aria-label': 'Previous period', 'data-action': 'previous' });
    var next = el('button', 'button', '›', { type: 'button', 'aria-label': 'Next period', 'data-action': 'next' });
    prev.addEventListener('click', function () { state.anchor = shift(state.view, state.anchor, -1, state.zone); load(); });
    next.addEventListener('click', function () { state.anchor = shift(state.view, state.anchor, 1, state.zone); load(); });
    state.download = el('a', 'button', 'Download CSV', { id: 'energy-download', download: '', href: '#' });
    view.appendChild(el('div', 'toolbar energy-toolbar', undefined, null, siteSelect, views, quantity));
    state.title = el('h2', 'energy-title', '');
    view.appendChild(el('div', 'toolbar', undefined, null, prev, state.title, next, state.download));
    state.total = el('div', 'energy-total', '');
    state.compare = el('div', 'muted small', '');
    state.zoneNote = el('div', 'muted small', '');
    state.status = el('p', 'energy-status', '', { role: 'status' });
    view.appendChild(el('section', 'card energy-summary', undefined, null, state.total, state.compare, state.zoneNote));
    view.appendChild(state.status);
    var canvas = el('canvas', null, undefined, { role: 'img', 'aria-label': 'Consumption per period, the period before as outlines' });
    state.box = el('div', 'energy-chart', undefined, { 'data-state': 'loading' }, canvas);
    view.appendChild(state.box);
    state.chart = makeChart(canvas);
    state.consumers = el('ol', 'shares', undefined, { id: 'top-consumers' });
    state.rooms = el('ul', 'shares', undefined, { id: 'room-split' });
    view.appendChild(el('div', 'energy-lists', undefined, null,
      el('section', 'card', undefined, null, el('h3', null, 'Top consumers'), state.consumers),
      el('section', 'card', undefined, null, el('h3', null, 'Per room'), state.rooms)));
    view.appendChild(O.energySettings(site, function (zone) {
      state.zone = zone;
      load();
    }));
  }

  function enter(view, arg) {
    var wanted = '';
    try {
      wanted = decodeURIComponent(arg || '');
    } catch {
      wanted = arg || '';
    }
    state = { view: 'month', quantity: 'energy', zone: 'UTC', site: '' };
    var mine = state;
    view.appendChild(el('h2', null, 'Energy'));
    var note = el('p', 'muted', 'loading…');
    view.appendChild(note);
    O.api('/sites').then(function (s) {
      if (state !== mine) return;
      var sites = s.items;
      if (sites.length === 0) {
        note.textContent = 'No site has reported anything yet: consumption appears once devices report.';
        return;
      }
      var site = sites.some(function (x) { return x.site === wanted; }) ? wanted : sites[0].site;
      state.site = site;
      return O.api('/sites/' + encodeURIComponent(site) + '/energy/settings').then(function (settings) {
        if (state !== mine) return;
        note.remove();
        state.zone = settings.timeZone;
        state.anchor = localDate(O.now(), state.zone);
        build(view, sites, site);
        load();
        // No readings pushed here (consumption comes from the rollups): the stream keeps the alert count and the connection state current.
        O.live('?scope=alerts', {});
      });
    }).catch(function (err) {
      if (state !== mine) return;
      note.textContent = err.status ? 'Could not load the sites: ' + err.message : 'The server cannot be reached: check the connection and reload.';
      note.className = 'error';
    });
  }

  function leave() {
    if (state && state.chart) state.chart.destroy();
    state = null;
  }

  O.pages.energy = { title: 'Energy', enter: enter, leave: leave };
})();
