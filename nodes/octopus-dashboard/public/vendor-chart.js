// @ts-check
// Chart.js as a module: the pack's own UMD build (served at /ui/vendor/chart.umd.js, never a CDN)
// sets globalThis.Chart when it runs; its types come from the chart.js package.
import '../vendor/chart.umd.js';

/** @type {typeof import('chart.js').Chart} */
export const Chart = /** @type {any} */ (globalThis).Chart;
