// Device page: every numeric/boolean attribute charted over a chosen range (min/mean/max band when
// bucketed), the live tail appended as readings arrive, controls that send commands and follow them
// to confirmed / timeout, and the command history.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;
  var H = 3600000;
  var D = 24 * H;
  var RANGES = [
    ['1h', '1 h', H],
    ['24h', '24 h', D],
    ['7d', '7 d', 7 * D],
    ['30d', '30 d', 30 * D],
    ['1y', '1 y', 365 * D],
  ];
  var POINTS = 1000;
  var LIVE_TAIL_MAX = 2000;

  var state; // everything of the page being shown

  // Round steps for the time axis: ticks fall on whole minutes, hours, days or months.
  var STEPS = [60000, 5 * 60000, 10 * 60000, 15 * 60000, 30 * 60000, H, 2 * H, 3 * H, 6 * H, 12 * H, D, 2 * D, 7 * D, 14 * D, 30 * D, 61 * D, 91 * D];

  function timeTicks(from, to, max) {
    var span = to - from;
    var step = STEPS[STEPS.length - 1];
    for (var i = 0; i < STEPS.length; i++) if (span / STEPS[i] <= max) { step = STEPS[i]; break; }
    var ticks = [];
    if (step >= 30 * D) {
      // Months: the first of each, every n months.
      var months = Math.round(step / (30 * D));
      var d = new Date(from);
      d = new Date(d.getFullYear(), d.getMonth() + 1, 1);
      for (; d.getTime() <= to; d = new Date(d.getFullYear(), d.getMonth() + months, 1)) ticks.push({ value: d.getTime() });
      return ticks;
    }
    // Align to local midnight so that days and hours read round.
    var start = new Date(from);
    start.setHours(0, 0, 0, 0);
    var t = start.getTime();
    if (step >= D) while (t < from) t += step;
    else t += Math.ceil((from - t) / step) * step;
    for (; t <= to; t += step) ticks.push({ value: t });
    return ticks;
  }

  function fmtTick(span) {
    return function (v) {
      var d = new Date(v);
      if (span <= 2 * D) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      if (span <= 60 * D) return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
      return d.toLocaleDateString([], { year: '2-digit', month: 'short' });
    };
  }

  function toLocalInput(ts) {
    var d = new Date(ts - new Date(ts).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  }

  /** The chosen range as [from, to] and whether its end follows the clock (then the live tail is drawn). */
  function currentRange() {
    if (state.range === 'custom') return { from: state.customFrom, to: state.customTo, live: false };
    var span = RANGES.filter(function (r) { return r[0] === state.range; })[0][2];
    var to = O.now();
    return { from: to - span, to: to, live: true };
  }

  // ---- history: bucketed in SQL by the API (rollups for long ranges), at most POINTS per series ----
  function history(deviceId, attribute, range) {
    var q = O.query({ attribute: attribute, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), points: POINTS });
    return O.api('/devices/' + encodeURIComponent(deviceId) + '/history' + q);
  }

  // ---- charts ----
  function chartFor(attr) {
    var canvas = el('canvas', null, undefined, { 'aria-label': 'History of ' + attr.name, role: 'img' });
    var accent = O.css('--accent', '#2f7fbf');
    var band = O.css('--band', 'rgba(47,127,191,0.18)');
    var text = O.css('--muted', '#667085');
    var grid = O.css('--line', '#e3e6eb');
    var boolean = typeof attr.value === 'boolean';
    var chart = new window.Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'max', data: [], borderWidth: 0, pointRadius: 0, fill: '+1', backgroundColor: band, stepped: boolean },
          { label: 'min', data: [], borderWidth: 0, pointRadius: 0, fill: false, stepped: boolean },
          { label: 'mean', data: [], borderWidth: 1.6, pointRadius: 0, borderColor: accent, backgroundColor: accent, stepped: boolean },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? O.time(items[0].parsed.x) : ''; },
              label: function (item) { return item.dataset.label + ': ' + O.format(item.parsed.y, state && state.units[attr.name]); },
            },
          },
        },
        scales: {
          x: {
            type: 'linear',
            ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
            grid: { color: grid },
            afterBuildTicks: function (scale) {
              scale.ticks = timeTicks(scale.min, scale.max, scale.width < 420 ? 4 : 7);
            },
          },
          y: boolean
            ? { min: -0.05, max: 1.05, ticks: { color: text, stepSize: 1, callback: function (v) { return v === 1 ? 'on' : v === 0 ? 'off' : ''; } }, grid: { color: grid } }
            : { ticks: { color: text, maxTicksLimit: 6 }, grid: { color: grid } },
        },
      },
    });
    return { canvas: canvas, chart: chart };
  }

  /** Charts load one after another: a page of many attributes does not fire many long queries at once. */
  function loadCharts() {
    var queue = Promise.resolve();
    state.panels.forEach(function (p) {
      if (!p.chart) return;
      p.loading = {};
      p.box.dataset.state = 'loading';
      p.note.textContent = 'loading…';
      var token = p.loading;
      queue = queue.then(function () {
        if (state && p.loading === token) return loadChart(p, token);
      });
    });
    return queue;
  }

  function loadChart(panel, token) {
    var range = currentRange();
    return history(state.deviceId, panel.attr.name, range).then(
      function (h) {
        if (panel.loading !== token || !state) return;
        var mean = [];
        var min = [];
        var max = [];
        h.points.forEach(function (p) {
          var x = Date.parse(p.ts);
          mean.push({ x: x, y: p.mean });
          min.push({ x: x, y: p.min });
          max.push({ x: x, y: p.max });
        });
        var ds = panel.chart.data.datasets;
        // The band only means something when buckets hold several readings.
        var bucketed = h.source !== 'raw' || h.points.some(function (p) { return p.count > 1; });
        ds[0].data = bucketed ? max : [];
        ds[1].data = bucketed ? min : [];
        ds[2].data = mean;
        panel.chart.options.scales.x.min = range.from;
        panel.chart.options.scales.x.max = range.to;
        panel.chart.options.scales.x.ticks.callback = fmtTick(range.to - range.from);
        panel.chart.update('none');
        panel.range = range;
        if (h.unit) state.units[panel.attr.name] = h.unit;
        panel.box.dataset.state = 'drawn';
        panel.box.dataset.points = String(mean.length);
        panel.box.dataset.source = h.source;
        panel.note.textContent = mean.length
          ? mean.length + ' points · ' + (bucketed ? 'min / mean / max per ' + duration(h.bucketMs) : 'readings') + (h.source === 'raw' ? '' : ' · from ' + h.source + (h.source === '5m' || h.source === '1h' ? ' rollups' : ''))
          : 'no readings in this range';
      },
      function (err) {
        if (panel.loading !== token) return;
        panel.box.dataset.state = 'error';
        panel.note.textContent = 'history unavailable: ' + err.message;
      },
    );
  }

  function duration(ms) {
    if (ms >= D && ms % D === 0) return ms / D + ' d';
    if (ms >= H) return Math.round((ms / H) * 10) / 10 + ' h';
    if (ms >= 60000) return Math.round(ms / 60000) + ' min';
    return Math.max(1, Math.round(ms / 1000)) + ' s';
  }

  /** A reading from the stream: the value, and the chart's tail when the range ends now. */
  function liveReading(r) {
    if (!state || r.deviceId !== state.deviceId) return;
    var panel = state.panels.get(r.attribute);
    if (!panel) {
      // A new attribute: rebuild the page from the registry's view of the device.
      if (!state.reloading) {
        state.reloading = true;
        setTimeout(function () { if (state) O.pages.device.reload(); }, 300);
      }
      return;
    }
    if (r.ts < panel.ts) return;
    panel.ts = r.ts;
    panel.value.textContent = O.format(r.value, r.unit);
    panel.age.textContent = 'updated ' + O.ago(r.ts);
    if (panel.control) panel.control.show(r.value);
    if (!panel.chart || !panel.range || state.range === 'custom') return;
    var y = typeof r.value === 'boolean' ? (r.value ? 1 : 0) : r.value;
    if (typeof y !== 'number') return;
    var span = panel.range.to - panel.range.from;
    panel.range = { from: r.ts - span, to: Math.max(r.ts, panel.range.to), live: true };
    var ds = panel.chart.data.datasets;
    var point = { x: r.ts, y: y };
    ds[2].data.push(point);
    if (ds[0].data.length) {
      ds[0].data.push({ x: r.ts, y: y });
      ds[1].data.push({ x: r.ts, y: y });
    }
    ds.forEach(function (d) {
      while (d.data.length && (d.data[0].x < panel.range.from || d.data.length > POINTS + LIVE_TAIL_MAX)) d.data.shift();
    });
    panel.chart.options.scales.x.min = panel.range.from;
    panel.chart.options.scales.x.max = panel.range.to;
    panel.dirty = true;
    panel.box.dataset.points = String(ds[2].data.length);
  }

  function redrawDirty() {
    if (!state) return;
    state.panels.forEach(function (p) {
      if (p.dirty && p.chart) {
        p.dirty = false;
        p.chart.update('none');
      }
    });
  }

  // ---- controls and commands ----
  function statusChip(cmd) {
    var chip = el('span', 'cmd-status', cmd.status, { 'data-status': cmd.status, 'data-command-id': cmd.id, title: cmd.detail || '' });
    return chip;
  }

  function controlFor(attr, spec) {
    var box = el('div', 'control', undefined, { 'data-attribute': attr.name, 'data-kind': spec.kind });
    var status = el('span', 'cmd-status', '', { 'data-status': 'idle' });
    var input;
    var send = function (value) {
      status.dataset.status = 'sending';
      status.textContent = 'sending…';
      status.title = '';
      O.api('/commands', { method: 'POST', body: { deviceId: state.deviceId, attribute: attr.name, value: value } }).then(
        function (cmd) {
          status.dataset.commandId = cmd.id;
          // The stream may have told us the outcome before the answer came.
          showCommand(state.commands.get(cmd.id) || cmd);
          watchCommand(cmd.id);
        },
        function (err) {
          status.dataset.status = 'failed';
          status.textContent = 'failed';
          status.title = err.message;
          status.dataset.error = err.message;
        },
      );
    };
    if (spec.kind === 'switch') {
      input = el('button', 'toggle', undefined, { type: 'button', role: 'switch', 'aria-label': 'Turn ' + attr.name + ' on or off' });
      input.addEventListener('click', function () { send(input.getAttribute('aria-checked') !== 'true'); });
    } else if (spec.kind === 'level') {
      input = el('input', 'slider', undefined, { type: 'range', min: spec.min, max: spec.max, step: spec.step, 'aria-label': attr.name });
      var out = el('output', 'slider-value');
      input.addEventListener('input', function () { out.textContent = input.value; });
      input.addEventListener('change', function () { send(Number(input.value)); });
      box.appendChild(input);
      input = { el: input, out: out };
    } else {
      var field = el('input', 'setpoint', undefined, { type: 'number', min: spec.min, max: spec.max, step: spec.step, 'aria-label': attr.name + ' setpoint' });
      var set = el('button', 'button', 'Set', { type: 'submit' });
      var form = el('form', 'setpoint-form', undefined, null, field, set);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        send(Number(field.value));
      });
      input = { form: form, field: field };
    }
    if (input.el) box.appendChild(input.out);
    else box.appendChild(input.form || input);
    box.appendChild(status);
    var control = {
      box: box,
      status: status,
      setAllowed: function (allowed) {
        box.querySelectorAll('button, input').forEach(function (c) { c.disabled = !allowed; });
        box.title = allowed ? '' : 'You may not control devices of this site.';
        box.dataset.allowed = allowed ? 'true' : 'false';
      },
      show: function (value) {
        if (spec.kind === 'switch') {
          var on = value === true || value === 'on' || value === 'ON' || value === 1 || value === 'true';
          input.setAttribute('aria-checked', on ? 'true' : 'false');
          input.textContent = on ? 'On' : 'Off';
        } else if (spec.kind === 'level') {
          if (document.activeElement !== input.el) input.el.value = String(value);
          input.out.textContent = String(value);
        } else if (document.activeElement !== input.field) {
          input.field.value = String(value);
        }
      },
    };
    control.show(attr.value);
    // Enabled once the stream's snapshot says this viewer may control the device's site.
    control.setAllowed(false);
    return control;
  }

  function showCommand(cmd) {
    if (!state) return;
    state.commands.set(cmd.id, cmd);
    state.panels.forEach(function (p) {
      if (p.control && p.control.status.dataset.commandId === cmd.id) {
        p.control.status.dataset.status = cmd.status;
        p.control.status.textContent = cmd.status === 'pending' ? 'pending…' : cmd.status;
        p.control.status.title = cmd.detail || '';
      }
    });
  }

  /** The stream tells of the outcome; this asks too, in case the stream was down at that moment. */
  function watchCommand(id) {
    var tries = 0;
    var timer = setInterval(function () {
      var known = state && state.commands.get(id);
      if (!state || (known && known.status !== 'pending') || ++tries > 60) {
        clearInterval(timer);
        if (state) loadCommands();
        return;
      }
      O.api('/commands/' + encodeURIComponent(id)).then(showCommand, function () {});
    }, 1000);
    state.timers.push(timer);
  }

  function loadCommands() {
    if (!state) return;
    var deviceId = state.deviceId;
    O.api('/devices/' + encodeURIComponent(deviceId) + '/commands?limit=20').then(function (body) {
      if (!state || state.deviceId !== deviceId) return;
      var tbody = state.commandRows;
      tbody.textContent = '';
      body.items.forEach(function (c) {
        tbody.appendChild(
          el('tr', null, undefined, { 'data-command-id': c.id }, el('td', 'nowrap', O.shortTime(Date.parse(c.requestedAt)), { title: c.requestedAt }), el('td', null, c.attribute), el('td', 'num', O.format(c.value)), el('td', null, undefined, null, statusChip(c)), el('td', 'muted wide', c.detail || ''), el('td', 'muted wide', c.requestedBy)),
        );
      });
      state.commandsEmpty.hidden = body.items.length > 0;
      state.commandsTotal.textContent = body.total > body.items.length ? 'latest ' + body.items.length + ' of ' + body.total : '';
    }, function (err) {
      if (state) state.commandsEmpty.textContent = 'command history unavailable: ' + err.message;
    });
  }

  // ---- the page ----
  function renderAlerts() {
    if (!state) return;
    var list = state.alertList;
    list.textContent = '';
    O.alerts.forEach(function (a) {
      if (a.deviceId !== state.deviceId) return;
      list.appendChild(el('li', 'alert', a.message || a.attribute, { 'data-severity': a.severity, 'data-state': a.state, 'data-alert-id': a.id }));
    });
  }

  function renderDevice(d) {
    state.title.textContent = d.name || d.device;
    state.badge.textContent = d.state;
    state.badge.dataset.state = d.state;
    state.where.textContent = [d.site, d.room, d.kind].filter(Boolean).join(' · ');
    state.idLine.textContent = d.deviceId + (d.profile && d.profile !== 'octopus' ? ' (' + d.profile + ')' : '');
  }

  function build(view, d) {
    var head = el('header', 'device-head');
    state.title = el('h2', 'device-name', d.name || d.device);
    state.badge = el('span', 'badge', d.state, { 'data-state': d.state });
    state.where = el('div', 'muted');
    state.idLine = el('div', 'muted small mono');
    head.appendChild(el('div', 'title-line', undefined, null, state.title, state.badge));
    head.appendChild(state.where);
    head.appendChild(state.idLine);
    state.alertList = el('ul', 'alerts');
    head.appendChild(state.alertList);
    renderDevice(d);
    view.appendChild(head);

    // Range picker
    var ranges = el('div', 'ranges', undefined, { role: 'group', 'aria-label': 'Range' });
    var customForm = el('form', 'custom-range', undefined, { hidden: '' });
    var fromInput = el('input', null, undefined, { type: 'datetime-local', 'aria-label': 'From', name: 'from' });
    var toInput = el('input', null, undefined, { type: 'datetime-local', 'aria-label': 'To', name: 'to' });
    customForm.appendChild(el('label', null, 'From ', null, fromInput));
    customForm.appendChild(el('label', null, 'To ', null, toInput));
    customForm.appendChild(el('button', 'button', 'Show', { type: 'submit' }));
    var customError = el('span', 'error');
    customForm.appendChild(customError);
    RANGES.concat([['custom', 'Custom']]).forEach(function (r) {
      var b = el('button', 'range', r[1], { type: 'button', 'data-range': r[0], 'aria-pressed': r[0] === state.range ? 'true' : 'false' });
      b.addEventListener('click', function () {
        if (r[0] === 'custom') {
          customForm.hidden = false;
          var cur = currentRange();
          fromInput.value = toLocalInput(cur.from);
          toInput.value = toLocalInput(cur.to);
          return;
        }
        customForm.hidden = true;
        setRange(r[0]);
      });
      ranges.appendChild(b);
    });
    customForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var from = new Date(fromInput.value).getTime();
      var to = new Date(toInput.value).getTime();
      if (!(from < to)) {
        customError.textContent = 'From must be before To.';
        return;
      }
      customError.textContent = '';
      state.customFrom = from;
      state.customTo = to;
      setRange('custom');
    });
    function setRange(name) {
      state.range = name;
      ranges.querySelectorAll('button').forEach(function (b) { b.setAttribute('aria-pressed', b.dataset.range === name ? 'true' : 'false'); });
      try {
        sessionStorage.setItem('octopus-range', name === 'custom' ? '24h' : name);
      } catch { /* private mode */ }
      loadCharts();
    }
    // Download: the shown range of this device as CSV (the export streams it from the database).
    var download = el('a', 'button', 'Download CSV', { id: 'device-download', download: '', href: '#' });
    download.addEventListener('click', function () {
      var r = currentRange();
      download.href = O.apiBase + '/devices/' + encodeURIComponent(d.deviceId) + '/export' + O.query({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), format: 'csv' });
    });
    view.appendChild(el('div', 'range-bar', undefined, null, ranges, customForm, download));

    // One panel per attribute
    var grid = el('div', 'panels');
    d.attributes.forEach(function (a) {
      var ts = Date.parse(a.ts);
      var value = el('span', 'value', O.format(a.value, a.unit), { 'data-device-id': d.deviceId, 'data-attribute': a.name });
      var age = el('span', 'age', 'updated ' + O.ago(ts));
      var panel = { attr: a, value: value, age: age, ts: ts };
      if (a.unit) state.units[a.name] = a.unit;
      var card = el('section', 'panel', undefined, { 'data-attribute': a.name }, el('header', null, undefined, null, el('h3', null, a.name), value), age);
      if (a.controllable) {
        panel.control = controlFor(a, a.controllable);
        card.appendChild(panel.control.box);
      }
      if (typeof a.value === 'number' || typeof a.value === 'boolean') {
        var c = chartFor(a);
        panel.chart = c.chart;
        panel.box = el('div', 'chart', undefined, { 'data-attribute': a.name, 'data-state': 'loading' }, c.canvas);
        panel.note = el('div', 'muted small');
        card.appendChild(panel.box);
        card.appendChild(panel.note);
      } else {
        card.classList.add('text');
      }
      state.panels.set(a.name, panel);
      grid.appendChild(card);
    });
    if (d.attributes.length === 0) grid.appendChild(el('p', 'empty', 'This device has not reported any value yet.'));
    view.appendChild(grid);

    // Command history
    state.commandRows = el('tbody');
    state.commandsEmpty = el('p', 'muted', 'No command sent to this device yet.');
    state.commandsTotal = el('span', 'muted small');
    var table = el('table', 'table', undefined, null, el('thead', null, undefined, null, el('tr', null, undefined, null, el('th', null, 'Requested'), el('th', null, 'Attribute'), el('th', null, 'Value'), el('th', null, 'Status'), el('th', 'wide', 'Detail'), el('th', 'wide', 'By'))), state.commandRows);
    view.appendChild(el('section', 'commands', undefined, null, el('h3', null, 'Commands ', null, state.commandsTotal), el('div', 'table-wrap', undefined, null, table), state.commandsEmpty));
  }

  function enter(view, id) {
    var deviceId;
    try {
      deviceId = decodeURIComponent(id || '');
    } catch {
      deviceId = id || ''; // a hand-typed address with a stray %: look it up as written
    }
    var range = '24h';
    try {
      range = sessionStorage.getItem('octopus-range') || '24h';
    } catch { /* private mode */ }
    state = { deviceId: deviceId, view: view, range: range, panels: new Map(), units: {}, commands: new Map(), timers: [] };
    var mine = state;
    view.appendChild(el('p', 'crumbs', undefined, null, el('a', null, '← Overview', { href: '#/' })));
    var body = el('div', 'device-page', undefined, { 'data-device-id': deviceId });
    view.appendChild(body);
    O.api('/devices/' + encodeURIComponent(deviceId)).then(
      function (d) {
        if (state !== mine) return;
        build(body, d);
        renderAlerts();
        loadCharts().then(loadCommands);
        state.timers.push(setInterval(redrawDirty, 250));
        state.timers.push(setInterval(function () {
          if (state) state.panels.forEach(function (p) { p.age.textContent = 'updated ' + O.ago(p.ts); });
        }, 5000));
        O.live(O.query({ device: deviceId }), {
          snapshot: function (data) {
            renderAlerts();
            // Controls only where this viewer may send commands (the API refuses the others anyway).
            if (state) {
              var allowed = (data.controlSites || []).indexOf(d.site) >= 0;
              state.panels.forEach(function (p) { if (p.control) p.control.setAllowed(allowed); });
            }
            // After a gap, what the chart missed comes from the history.
            if (state && state.connectedOnce && state.range !== 'custom') loadCharts();
            if (state) state.connectedOnce = true;
          },
          readings: function (list) { list.forEach(liveReading); },
          device: function (live) {
            if (!state) return;
            state.badge.textContent = live.state || 'online';
            state.badge.dataset.state = live.state || 'online';
            state.title.textContent = live.name || live.device;
          },
          removed: function () { if (state) state.badge.textContent = 'forgotten'; },
          alert: renderAlerts,
          alerts: renderAlerts,
          command: function (cmd) {
            showCommand(cmd);
            if (cmd.status !== 'pending') loadCommands();
          },
        });
      },
      function (err) {
        if (state !== mine) return;
        body.appendChild(el('p', 'empty', err.status === 404 ? 'No device “' + deviceId + '” in the registry.' : 'Could not load the device: ' + err.message));
      },
    );
  }

  function leave() {
    if (!state) return;
    state.timers.forEach(clearInterval);
    state.panels.forEach(function (p) { if (p.chart) p.chart.destroy(); });
    state = null;
  }

  O.pages.device = {
    title: 'Device',
    enter: enter,
    leave: leave,
    reload: function () {
      if (!state) return;
      var view = state.view;
      var id = state.deviceId;
      leave();
      view.textContent = '';
      enter(view, encodeURIComponent(id));
    },
  };
})();
