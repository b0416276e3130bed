// @ts-check
// The shapes the pages read: from the REST API (/api/v1; lib/api/views.ts and the OpenAPI
// document) and from the live stream (/ui/events; lib/live/live-model.ts and the dashboard node).
// Types only: import them with `/** @typedef {import('./types.js').Name} Name */`.

/** @typedef {number | boolean | string} ReadingValue */
/** @typedef {'online' | 'stale' | 'offline'} DeviceState */
/** @typedef {'critical' | 'warning' | 'info'} Severity */
/** @typedef {'active' | 'acknowledged' | 'cleared'} AlertState */
/** @typedef {'pending' | 'confirmed' | 'timeout' | 'failed'} CommandStatus */

/**
 * How an attribute may be controlled from the page.
 * @typedef {{ kind: 'switch', min?: undefined, max?: undefined, step?: undefined } | { kind: 'level' | 'setpoint', min: number, max: number, step: number }} ControlSpec
 */

/**
 * @typedef {object} AttributeView An attribute as the API shows it.
 * @property {string} name
 * @property {ReadingValue} value
 * @property {string | null} unit
 * @property {string} ts ISO time of the latest value
 * @property {ControlSpec | null} controllable
 */

/**
 * @typedef {object} DeviceView A device as the API shows it (GET /devices, /devices/{id}).
 * @property {string} deviceId
 * @property {string} site
 * @property {string} room
 * @property {string} device
 * @property {string | null} name
 * @property {string | null} kind
 * @property {string | null} profile
 * @property {DeviceState} state
 * @property {number | null} expectedIntervalMs
 * @property {number | null} learnedIntervalMs
 * @property {number} intervalMs
 * @property {AttributeView[]} attributes
 */

/**
 * @template T
 * @typedef {{ items: T[], total: number }} ListPage A page of a list from the API.
 */

/**
 * @typedef {object} CommandView A command and where it stands (POST /commands, GET /commands/{id}, the stream's `command`).
 * @property {string} id
 * @property {string} deviceId
 * @property {string} attribute
 * @property {ReadingValue} value
 * @property {string} requestedBy
 * @property {string} requestedAt ISO time
 * @property {CommandStatus} status
 * @property {string | null} [detail]
 */

/**
 * @typedef {object} HistoryPoint One bucket of a history.
 * @property {string} ts ISO time of the bucket
 * @property {number} min
 * @property {number} mean
 * @property {number} max
 * @property {number} count
 */

/**
 * @typedef {object} HistoryView GET /devices/{id}/history.
 * @property {number} bucketMs
 * @property {'raw' | '5m' | '1h'} source
 * @property {HistoryPoint[]} points
 * @property {string | null} [unit]
 */

/**
 * @typedef {object} Alert An alert (the stream's `alert`/`alerts`, GET /alerts/history).
 * @property {string} id
 * @property {string} ruleName
 * @property {string} deviceId
 * @property {string} site
 * @property {string} room
 * @property {string} device
 * @property {string} attribute
 * @property {Severity} severity
 * @property {AlertState} state
 * @property {string} message
 * @property {ReadingValue | null} value
 * @property {string} [unit]
 * @property {number} raisedAt
 * @property {string} [acknowledgedBy]
 * @property {string} [acknowledgeNote]
 * @property {number} [clearedAt]
 * @property {string} [clearedBy]
 * @property {string} [clearReason]
 */

/**
 * @typedef {object} LiveValue The latest value of an attribute in the stream.
 * @property {ReadingValue} value
 * @property {string} [unit]
 * @property {number} ts
 */

/**
 * @typedef {object} LiveDevice A device in the stream (`snapshot.devices`, `device`).
 * @property {string} deviceId
 * @property {string} site
 * @property {string} room
 * @property {string} device
 * @property {string} [name]
 * @property {DeviceState} [state]
 * @property {Record<string, LiveValue>} attributes
 */

/**
 * @typedef {object} LiveReading One new value in the stream (`readings` is a list of them).
 * @property {string} deviceId
 * @property {string} site
 * @property {string} room
 * @property {string} device
 * @property {string} attribute
 * @property {ReadingValue} value
 * @property {string} [unit]
 * @property {number} ts
 */

/**
 * @typedef {object} Snapshot What a page's stream starts with (and GET /ui/api/state answers).
 * @property {LiveDevice[]} [devices]
 * @property {Alert[]} [alerts]
 * @property {string[]} [controlSites] the sites the viewer may send commands to
 * @property {number} [serverTime]
 * @property {string} [apiBase]
 */

/**
 * @typedef {object} StreamEvents The stream's events and their data; a page handles those it needs.
 * @property {Snapshot} snapshot
 * @property {LiveReading[]} readings
 * @property {LiveDevice} device
 * @property {{ deviceId: string }} removed
 * @property {{ type: string, alert: Alert }} alert
 * @property {Alert[]} alerts
 * @property {CommandView} command
 * @property {{ unread: number, latest?: { title: string, body: string, severity: string, site: string } }} notify a user's notification centre (notify.js)
 * @property {{ sceneId: string, site: string, startedAt: string, done: boolean, results: unknown[] }} scene a scene being applied: each device's outcome so far (automation-scenes.js)
 */

/** @typedef {{ [K in keyof StreamEvents]?: (data: StreamEvents[K]) => void }} StreamHandlers */

/**
 * @typedef {object} Me GET /auth/me.
 * @property {{ username: string }} user
 * @property {boolean} operator
 * @property {Record<string, string>} sites role per site
 * @property {string} csrfToken
 */

/**
 * @typedef {object} Page A page of the dashboard: shown in `view` by `enter`, torn down by `leave`.
 * @property {string} title
 * @property {(view: HTMLElement, arg: string | undefined) => void} enter `arg`: the route's captured part (e.g. a device id, still URI-encoded)
 * @property {() => void} [leave]
 */

/** @typedef {{ from: string, to: string, price: number, name?: string, days?: number[] }} TariffWindow */
/** @typedef {{ currency: string, price: number, windows?: TariffWindow[] }} Tariff */

/**
 * @typedef {object} EnergySettings GET/PUT /sites/{site}/energy/settings.
 * @property {string} site
 * @property {string} timeZone
 * @property {{ energy?: Tariff, volume?: Tariff }} tariffs
 */

/**
 * @typedef {object} AttributeClassView One of GET /sites/{site}/energy/attributes.
 * @property {string} deviceId
 * @property {string} name
 * @property {string} attribute
 * @property {string | null} unit
 * @property {string} class
 * @property {'user' | 'device' | 'unit' | 'name' | 'value'} source
 */

/** @typedef {{ start: string, end: string, total: number, cost: number | null }} ConsumptionBucket */

/**
 * @typedef {object} Consumption GET /sites/{site}/consumption.
 * @property {string} timeZone
 * @property {string} unit
 * @property {string | null} currency
 * @property {string} from
 * @property {string} to
 * @property {number} total
 * @property {number | null} cost
 * @property {ConsumptionBucket[]} buckets
 * @property {{ buckets: ConsumptionBucket[] } | null} previous
 * @property {{ deviceId: string, name: string, room: string, attribute: string, total: number, cost: number | null }[]} devices
 * @property {{ room: string, total: number, cost: number | null }[]} rooms
 */

export {};
