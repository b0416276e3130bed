// Shared by every page: DOM helpers (text only: device data is never parsed as HTML), formatting,
// the REST client, the theme, and the one live stream a page holds.
(function () {
  'use strict';

  var O = (window.Octopus = window.Octopus || {});
  O.pages = {};
  O.apiBase = '/api/v1';
  O.serverOffset = 0;
  /** Open alerts by id, kept current by every page's stream (the header counts them). */
  O.alerts = new Map();

  /** An element with a class, text and attributes; children are appended. Never innerHTML. */
  O.el = function (tag, cls, text, attrs) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
      });
    }
    for (var i = 4; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  };

  O.format = function (v, unit) {
    var text = typeof v === 'number' ? (Math.round(v * 100) / 100).toString() : typeof v === 'boolean' ? (v ? 'on' : 'off') : v === null || v === undefined ? '—' : String(v);
    return unit ? text + ' ' + unit : text;
  };

  O.now = function () {
    return Date.now() + O.serverOffset;
  };

  O.ago = function (ts) {
    var s = Math.max(0, Math.round((O.now() - ts) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400 * 2) return Math.round(s / 3600) + ' h ago';
    return new Date(ts).toLocaleDateString();
  };

  O.time = function (ts) {
    return new Date(ts).toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  };

  O.shortTime = function (ts) {
    var d = new Date(ts);
    var today = new Date().toDateString() === d.toDateString();
    var time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return today ? time : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + time;
  };

  O.deviceHref = function (id) {
    return '#/device/' + encodeURIComponent(id);
  };

  O.css = function (name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  };

  /** The REST API: JSON in and out; a failure becomes an Error carrying the API's sentence and status. */
  O.api = function (path, options) {
    var init = { method: (options && options.method) || 'GET', headers: { Accept: 'application/json' } };
    if (options && options.body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    // Writes carry the session's CSRF token (session.js reads it from /auth/me first).
    var ready = init.method === 'GET' || !O.session ? Promise.resolve() : O.session;
    return ready.then(function () {
      if (init.method !== 'GET' && O.csrfToken) init.headers['X-CSRF-Token'] = O.csrfToken;
      return fetch(O.apiBase + path, init);
    }).then(function (res) {
      if (res.status === 401 && O.toLogin) O.toLogin();
      return res.text().then(function (text) {
        var body = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = null;
        }
        if (!res.ok) {
          var err = new Error((body && body.error) || res.status + ' ' + res.statusText);
          err.status = res.status;
          err.body = body;
          throw err;
        }
        return body;
      });
    });
  };

  O.query = function (params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null || v === '') return;
      if (Array.isArray(v)) v.forEach(function (x) { q.append(k, x); });
      else q.set(k, String(v));
    });
    var s = q.toString();
    return s ? '?' + s : '';
  };

  // ---- theme: the system's unless the user chose one (remembered) ----
  var THEMES = ['auto', 'light', 'dark'];
  O.theme = function () {
    try {
      return localStorage.getItem('octopus-theme') || 'auto';
    } catch {
      return 'auto';
    }
  };
  O.applyTheme = function (theme) {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    var button = document.getElementById('theme');
    if (button) {
      button.textContent = theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐';
      button.title = 'Theme: ' + theme + ' (click to change)';
      button.dataset.theme = theme;
    }
  };
  O.nextTheme = function () {
    var next = THEMES[(THEMES.indexOf(O.theme()) + 1) % THEMES.length];
    try {
      localStorage.setItem('octopus-theme', next);
    } catch {
      // private mode: the choice lasts for this page only
    }
    O.applyTheme(next);
    return next;
  };
  O.applyTheme(O.theme());

  // ---- the live stream ----
  var connEl = null;
  function setConnection(state, text) {
    connEl = connEl || document.getElementById('connection');
    if (!connEl) return;
    connEl.dataset.state = state;
    connEl.textContent = text;
  }

  function updateAlertCount() {
    var badge = document.getElementById('alert-count');
    if (!badge) return;
    var n = 0;
    var worst = '';
    O.alerts.forEach(function (a) {
      n++;
      if (a.severity === 'critical' || (a.severity === 'warning' && worst !== 'critical') || !worst) worst = a.severity;
    });
    badge.textContent = n ? String(n) : '';
    badge.hidden = n === 0;
    badge.dataset.severity = worst;
  }

  O.setAlerts = function (list) {
    O.alerts = new Map();
    (list || []).forEach(function (a) { O.alerts.set(a.id, a); });
    updateAlertCount();
  };
  O.applyAlert = function (a) {
    if (a.state === 'cleared') O.alerts.delete(a.id);
    else O.alerts.set(a.id, a);
    updateAlertCount();
  };

  var stream = null;

  /**
   * Opens the page's one stream (closing the previous page's). `query` says what the page shows
   * (scope=overview, device=<id>…); the server sends only that. Reconnects with backoff; a new
   * connection starts with a snapshot, and a jump in event ids (frames the server had to drop)
   * refetches the state: either way the page resyncs.
   */
  O.live = function (query, handlers) {
    if (stream) stream.close();
    var closed = false;
    var source = null;
    var lastId = 0;
    var attempt = 0;
    var retryTimer = null;

    function dispatch(name, data) {
      if (name === 'snapshot') {
        if (data.serverTime) O.serverOffset = data.serverTime - Date.now();
        if (data.apiBase) O.apiBase = data.apiBase;
        O.setAlerts(data.alerts);
      } else if (name === 'alert') {
        O.applyAlert(data.alert);
      } else if (name === 'alerts') {
        O.setAlerts(data);
      }
      if (handlers[name]) handlers[name](data);
      // For the ES modules (notify.js): the notification centre follows the same stream.
      if (name === 'notify') document.dispatchEvent(new CustomEvent('octopus-notify', { detail: data }));
    }

    function resync() {
      fetch('api/state' + query, { headers: { Accept: 'application/json' } })
        .then(function (res) { return res.ok ? res.json() : Promise.reject(new Error(res.status)); })
        .then(function (data) { if (!closed) dispatch('snapshot', data); })
        .catch(function () { /* the stream's own reconnect will resync */ });
    }

    function listen(name) {
      source.addEventListener(name, function (e) {
        var id = Number(e.lastEventId);
        var gap = name !== 'snapshot' && lastId > 0 && id !== lastId + 1;
        lastId = id;
        dispatch(name, JSON.parse(e.data));
        if (gap) resync();
      });
    }

    function connect() {
      if (closed) return;
      lastId = 0;
      source = new EventSource('events' + query);
      ['snapshot', 'readings', 'device', 'removed', 'alert', 'alerts', 'command', 'notify'].forEach(listen);
      source.addEventListener('snapshot', function () {
        attempt = 0;
        setConnection('live', 'live');
      });
      source.addEventListener('error', function () {
        if (closed) return;
        source.close();
        setConnection('down', 'reconnecting…');
        // 0.5 s, 1 s, 2 s … at most 15 s, with jitter so a restarted server is not hit all at once.
        var delay = Math.min(15000, 500 * Math.pow(2, attempt++)) * (0.75 + Math.random() * 0.5);
        retryTimer = setTimeout(connect, delay);
      });
    }

    setConnection('connecting', 'connecting…');
    connect();
    stream = {
      close: function () {
        closed = true;
        clearTimeout(retryTimer);
        if (source) source.close();
      },
    };
    return stream;
  };
})();
