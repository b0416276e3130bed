// @ts-check
// The device page's state while shown, shared by its modules, and the range it shows.

import { now } from './format.js';
import { RANGES } from './device-time.js';

/** @typedef {import('./types.js').AttributeView} AttributeView */
/** @typedef {import('./types.js').CommandView} CommandView */
/** @typedef {import('./device-time.js').TimeRange} TimeRange */
/** @typedef {import('chart.js').Chart<'line', { x: number, y: number }[]>} LineChart */

/**
 * A control of a controllable attribute (device-controls.js).
 * @typedef {object} Control
 * @property {HTMLElement} box
 * @property {HTMLElement} status the command's status chip
 * @property {(allowed: boolean) => void} setAllowed
 * @property {(value: unknown) => void} show
 */

/**
 * One attribute's panel: its value, age, control and chart.
 * @typedef {object} Panel
 * @property {AttributeView} attr
 * @property {HTMLElement} value
 * @property {HTMLElement} age
 * @property {number} ts the latest value's time
 * @property {Control} [control]
 * @property {LineChart} [chart] numbers and booleans only
 * @property {HTMLElement} [box] the chart's box (data-state loading / drawn / error)
 * @property {HTMLElement} [note] under the chart
 * @property {object} [loading] the latest load of the chart: older answers are dropped
 * @property {TimeRange} [range] what the chart shows
 * @property {boolean} [dirty] to be redrawn
 */

/**
 * @typedef {object} DevicePage
 * @property {string} deviceId
 * @property {HTMLElement} view
 * @property {string} range a RangeName or 'custom'
 * @property {number} customFrom
 * @property {number} customTo
 * @property {Map<string, Panel>} panels by attribute
 * @property {Record<string, string>} units by attribute
 * @property {Map<string, CommandView>} commands the latest known of each command sent or heard of
 * @property {ReturnType<typeof setInterval>[]} timers
 * @property {boolean} closed the page was left
 * @property {boolean} [reloading]
 * @property {boolean} [connectedOnce]
 * @property {DeviceHead} [head]
 * @property {CommandTable} [commandTable]
 */

/** @typedef {{ title: HTMLElement, badge: HTMLElement, where: HTMLElement, idLine: HTMLElement, alertList: HTMLElement }} DeviceHead */
/** @typedef {{ rows: HTMLTableSectionElement, empty: HTMLElement, total: HTMLElement }} CommandTable */

/**
 * The page's state for a device, nothing built yet.
 * @param {string} deviceId
 * @param {HTMLElement} view
 * @param {string} range
 * @returns {DevicePage}
 */
export function devicePageState(deviceId, view, range) {
  return { deviceId, view, range, customFrom: 0, customTo: 0, panels: new Map(), units: {}, commands: new Map(), timers: [], closed: false };
}

/**
 * The chosen range as [from, to] and whether its end follows the clock (then the live tail is drawn).
 * @param {DevicePage} page
 * @returns {TimeRange}
 */
export function currentRange(page) {
  if (page.range === 'custom') return { from: page.customFrom, to: page.customTo, live: false };
  const span = (RANGES.find((r) => r[0] === page.range) ?? RANGES[1])[2];
  const to = now();
  return { from: to - span, to, live: true };
}
