// Alerts: the open ones (live), acknowledged with a note or cleared from here; the history with filters.
(function () {
  'use strict';

  var O = window.Octopus;
  var el = O.el;
  var SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
  var PAGE = 50;
  var page; // the page's state while shown

  function sortAlerts(list) {
    return list.sort(function (a, b) {
      return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.raisedAt - a.raisedAt;
    });
  }

  function valueText(a) {
    return a.value === null || a.value === undefined ? '' : O.format(a.value, a.unit);
  }

  /** The inline form that acknowledges or clears one alert, with an optional note. */
  function actionForm(a, action, row) {
    var note = el('input', 'note', undefined, { type: 'text', name: 'note', maxlength: 1000, placeholder: action === 'ack' ? 'Note (who is on it, what was done)…' : 'Why it can be cleared…', 'aria-label': 'Note' });
    var submit = el('button', 'button primary', action === 'ack' ? 'Acknowledge' : 'Clear', { type: 'submit' });
    var cancel = el('button', 'button', 'Cancel', { type: 'button' });
    var error = el('span', 'error');
    var form = el('form', 'alert-action', undefined, { 'data-action': action }, note, submit, cancel, error);
    cancel.addEventListener('click', function () { form.remove(); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      submit.disabled = true;
      var body = note.value.trim() ? { note: note.value.trim() } : {};
      O.api('/alerts/' + encodeURIComponent(a.id) + '/' + action, { method: 'POST', body: body }).then(
        function (res) {
          O.applyAlert(res.alert);
          renderActive();
          if (page) loadHistory();
        },
        function (err) {
          submit.disabled = false;
          error.textContent = err.message;
        },
      );
    });
    row.appendChild(form);
    note.focus();
    return form;
  }

  function alertRow(a) {
    var row = el('li', 'alert-row', undefined, { 'data-alert-id': a.id, 'data-severity': a.severity, 'data-state': a.state });
    var top = el('div', 'alert-top');
    top.appendChild(el('span', 'sev', a.severity, { 'data-severity': a.severity }));
    top.appendChild(el('span', 'msg', a.message || a.ruleName || a.attribute));
    top.appendChild(el('span', 'state-chip', a.state, { 'data-state': a.state }));
    row.appendChild(top);
    var meta = el('div', 'alert-meta muted small');
    meta.appendChild(el('a', null, a.device, { href: O.deviceHref(a.deviceId), title: a.deviceId }));
    meta.appendChild(el('span', null, ' · ' + a.site + ' / ' + a.room + ' · ' + a.attribute + (valueText(a) ? ' = ' + valueText(a) : '') + ' · raised ' + O.ago(a.raisedAt)));
    if (a.acknowledgedBy) meta.appendChild(el('span', 'ack-note', ' · acknowledged by ' + a.acknowledgedBy + (a.acknowledgeNote ? ': “' + a.acknowledgeNote + '”' : '')));
    row.appendChild(meta);
    var actions = el('div', 'alert-actions');
    if (a.state === 'active') {
      var ack = el('button', 'button', 'Acknowledge…', { type: 'button', 'data-action': 'ack' });
      ack.addEventListener('click', function () {
        if (!row.querySelector('form')) actionForm(a, 'ack', row);
      });
      actions.appendChild(ack);
    }
    var clear = el('button', 'button', 'Clear…', { type: 'button', 'data-action': 'clear' });
    clear.addEventListener('click', function () {
      var open = row.querySelector('form');
      if (open) open.remove();
      actionForm(a, 'clear', row);
    });
    actions.appendChild(clear);
    top.appendChild(actions);
    return row;
  }

  function renderActive() {
    if (!page) return;
    // Keep a half-typed note: leave rows with an open form alone when their alert did not change.
    var open = new Map();
    page.active.querySelectorAll('li.alert-row').forEach(function (li) {
      if (li.querySelector('form')) open.set(li.dataset.alertId + '\u0000' + li.dataset.state, li);
    });
    page.active.textContent = '';
    var list = sortAlerts(Array.from(O.alerts.values()));
    list.forEach(function (a) {
      page.active.appendChild(open.get(a.id + '\u0000' + a.state) || alertRow(a));
    });
    page.activeEmpty.hidden = list.length > 0;
    page.activeCount.textContent = list.length ? '(' + list.length + ')' : '';
  }

  function historyFilters() {
    var f = page.filters;
    var from = f.from.value ? new Date(f.from.value).toISOString() : undefined;
    var to = f.to.value ? new Date(f.to.value).toISOString() : undefined;
    return { severity: f.severity.value, state: f.state.value, site: f.site.value.trim(), device: f.device.value.trim(), from: from, to: to, limit: PAGE, offset: page.offset };
  }

  function loadHistory() {
    if (!page) return;
    var mine = page;
    O.api('/alerts/history' + O.query(historyFilters())).then(
      function (body) {
        if (page !== mine) return;
        page.historyError.textContent = '';
        var tbody = page.historyRows;
        tbody.textContent = '';
        body.alerts.forEach(function (a) {
          tbody.appendChild(
            el(
              'tr',
              null,
              undefined,
              { 'data-alert-id': a.id, 'data-state': a.state },
              el('td', 'nowrap', O.shortTime(a.raisedAt), { title: O.time(a.raisedAt) }),
              el('td', null, undefined, null, el('span', 'sev', a.severity, { 'data-severity': a.severity })),
              el('td', null, a.message || a.attribute),
              el('td', 'wide', undefined, null, el('a', null, a.device, { href: O.deviceHref(a.deviceId), title: a.deviceId })),
              el('td', null, undefined, null, el('span', 'state-chip', a.state, { 'data-state': a.state })),
              el('td', 'muted wide', a.clearedAt ? O.shortTime(a.clearedAt) + (a.clearedBy ? ' by ' + a.clearedBy : '') : ''),
              el('td', 'muted wide', a.acknowledgeNote || a.clearReason || ''),
            ),
          );
        });
        page.historyEmpty.hidden = body.alerts.length > 0;
        var last = Math.min(body.total, page.offset + body.alerts.length);
        page.pager.text.textContent = body.total ? page.offset + 1 + '–' + last + ' of ' + body.total : '';
        page.pager.prev.disabled = page.offset === 0;
        page.pager.next.disabled = last >= body.total;
      },
      function (err) {
        if (page === mine) page.historyError.textContent = 'history unavailable: ' + err.message;
      },
    );
  }

  function select(name, options) {
    var s = el('select', null, undefined, { name: name, 'aria-label': name });
    options.forEach(function (o) { s.appendChild(el('option', null, o[1], { value: o[0] })); });
    return s;
  }

  O.pages.alerts = {
    title: 'Alerts',
    enter: function (view) {
      page = { offset: 0, timers: [] };
      page.active = el('ul', 'alert-list', undefined, { id: 'active-alerts' });
      page.activeEmpty = el('p', 'empty', 'No open alert. All quiet.', { hidden: '' });
      page.activeCount = el('span', 'muted');
      view.appendChild(el('section', 'alerts-active', undefined, null, el('h2', null, 'Open alerts ', null, page.activeCount), page.active, page.activeEmpty));

      var f = (page.filters = {
        severity: select('severity', [['', 'Any severity'], ['critical', 'Critical'], ['warning', 'Warning'], ['info', 'Info']]),
        state: select('state', [['', 'Any state'], ['active', 'Active'], ['acknowledged', 'Acknowledged'], ['cleared', 'Cleared']]),
        site: el('input', null, undefined, { type: 'text', name: 'site', placeholder: 'Site', 'aria-label': 'Site' }),
        device: el('input', null, undefined, { type: 'text', name: 'device', placeholder: 'Device id', 'aria-label': 'Device id' }),
        from: el('input', null, undefined, { type: 'datetime-local', name: 'from', 'aria-label': 'From' }),
        to: el('input', null, undefined, { type: 'datetime-local', name: 'to', 'aria-label': 'To' }),
      });
      var form = el('form', 'toolbar filters', undefined, { id: 'history-filters' }, f.severity, f.state, f.site, f.device, el('label', null, 'From ', null, f.from), el('label', null, 'To ', null, f.to), el('button', 'button', 'Filter', { type: 'submit' }));
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        page.offset = 0;
        loadHistory();
      });
      [f.severity, f.state].forEach(function (s) {
        s.addEventListener('change', function () {
          page.offset = 0;
          loadHistory();
        });
      });
      page.historyRows = el('tbody');
      page.historyEmpty = el('p', 'muted', 'No alert matches.', { hidden: '' });
      page.historyError = el('p', 'error');
      var prev = el('button', 'button', '← Newer', { type: 'button' });
      var next = el('button', 'button', 'Older →', { type: 'button' });
      page.pager = { prev: prev, next: next, text: el('span', 'muted small') };
      prev.addEventListener('click', function () { page.offset = Math.max(0, page.offset - PAGE); loadHistory(); });
      next.addEventListener('click', function () { page.offset += PAGE; loadHistory(); });
      var table = el('table', 'table', undefined, { id: 'alert-history' }, el('thead', null, undefined, null, el('tr', null, undefined, null, el('th', null, 'Raised'), el('th', null, 'Severity'), el('th', null, 'Message'), el('th', 'wide', 'Device'), el('th', null, 'State'), el('th', 'wide', 'Cleared'), el('th', 'wide', 'Note'))), page.historyRows);
      view.appendChild(el('section', 'alerts-history', undefined, null, el('h2', null, 'History'), form, page.historyError, el('div', 'table-wrap', undefined, null, table), page.historyEmpty, el('div', 'pager', undefined, null, prev, page.pager.text, next)));

      renderActive();
      loadHistory();
      page.timers.push(setInterval(function () {
        // "raised 3 min ago" moves on; rows with an open form are kept.
        renderActive();
      }, 30000));
      var refreshHistory = null;
      var later = function () {
        // Transitions come in bursts: one history reload for a burst.
        clearTimeout(refreshHistory);
        refreshHistory = setTimeout(loadHistory, 500);
      };
      O.live('?scope=alerts', {
        snapshot: function () { renderActive(); later(); },
        alert: function () { renderActive(); later(); },
        alerts: renderActive,
      });
    },
    leave: function () {
      if (page) page.timers.forEach(clearInterval);
      page = null;
    },
  };
})();
