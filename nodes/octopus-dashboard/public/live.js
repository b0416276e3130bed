// @ts-check
// The one live stream a page holds (Server-Sent Events from /ui/events), and the header's
// connection indicator. Every snapshot also sets the clock, the API's base and the open alerts.

import { setApiBase } from './api.js';
import { setServerTime } from './format.js';
import { applyAlert, setAlerts } from './open-alerts.js';

/** @typedef {import('./types.js').StreamEvents} StreamEvents */
/** @typedef {import('./types.js').StreamHandlers} StreamHandlers */

/** @type {(keyof StreamEvents)[]} */
const EVENTS = ['snapshot', 'readings', 'device', 'removed', 'alert', 'alerts', 'command', 'notify', 'scene'];

/**
 * @param {'connecting' | 'live' | 'down'} state
 * @param {string} text
 */
function setConnection(state, text) {
  const connEl = document.getElementById('connection');
  if (!connEl) return;
  connEl.dataset.state = state;
  connEl.textContent = text;
}

/** @type {{ close(): void } | null} */
let stream = null;

/**
 * Opens the page's one stream (closing the previous page's). `query` says what the page shows
 * (?scope=overview, ?device=<id>…); the server sends only that. Reconnects with backoff; a new
 * connection starts with a snapshot, and a jump in event ids (frames the server had to drop)
 * refetches the state: either way the page resyncs through its `snapshot` handler.
 * @param {string} query
 * @param {StreamHandlers} handlers
 */
export function live(query, handlers) {
  if (stream) stream.close();
  let closed = false;
  /** @type {EventSource | null} */
  let source = null;
  let lastId = 0;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;

  /**
   * @param {keyof StreamEvents} name
   * @param {any} data the event's data, as the server sends it for `name`
   */
  function dispatch(name, data) {
    if (name === 'snapshot') {
      if (data.serverTime) setServerTime(data.serverTime);
      if (data.apiBase) setApiBase(data.apiBase);
      setAlerts(data.alerts);
    } else if (name === 'alert') {
      applyAlert(data.alert);
    } else if (name === 'alerts') {
      setAlerts(data);
    } else if (name === 'notify') {
      // The notification centre (notify.js) is on every page, whichever page's handlers run.
      document.dispatchEvent(new CustomEvent('octopus-notify', { detail: data }));
    }
    const handler = /** @type {((data: unknown) => void) | undefined} */ (handlers[name]);
    if (handler) handler(data);
  }

  function resync() {
    fetch('api/state' + query, { headers: { Accept: 'application/json' } })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(String(res.status)))))
      .then((data) => {
        if (!closed) dispatch('snapshot', data);
      })
      .catch(() => {
        /* the stream's own reconnect will resync */
      });
  }

  /**
   * @param {EventSource} from
   * @param {keyof StreamEvents} name
   */
  function listen(from, name) {
    from.addEventListener(name, (e) => {
      const id = Number(e.lastEventId);
      const gap = name !== 'snapshot' && lastId > 0 && id !== lastId + 1;
      lastId = id;
      dispatch(name, JSON.parse(e.data));
      if (gap) resync();
    });
  }

  function connect() {
    if (closed) return;
    lastId = 0;
    const s = (source = new EventSource('events' + query));
    EVENTS.forEach((name) => listen(s, name));
    s.addEventListener('snapshot', () => {
      attempt = 0;
      setConnection('live', 'live');
    });
    s.addEventListener('error', () => {
      if (closed) return;
      s.close();
      setConnection('down', 'reconnecting…');
      // 0.5 s, 1 s, 2 s … at most 15 s, with jitter so a restarted server is not hit all at once.
      const delay = Math.min(15000, 500 * Math.pow(2, attempt++)) * (0.75 + Math.random() * 0.5);
      retryTimer = setTimeout(connect, delay);
    });
  }

  setConnection('connecting', 'connecting…');
  connect();
  const mine = {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      if (source) source.close();
    },
  };
  stream = mine;
  return mine;
}
