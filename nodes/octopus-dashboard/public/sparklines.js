// @ts-check
// The overview's sparklines: a row's series is kept from its first value, its chart is made only
// once the row scrolls into view (an overview of thousands of devices does not build thousands of
// charts), and changed charts are redrawn a few milliseconds' worth at a time.

import { el } from './dom.js';
import { Chart } from './vendor-chart.js';

const SPARK_POINTS = 60;

/**
 * One row's sparkline.
 * @typedef {object} Spark
 * @property {HTMLElement} row the row it belongs to (not redrawn while the row is hidden or gone)
 * @property {HTMLDivElement} box
 * @property {number[]} series
 * @property {import('chart.js').Chart<'line', number[], string>} [chart]
 */

/**
 * The sparklines of one showing of the overview.
 * @param {string} color the line's colour
 */
export function sparklines(color) {
  /** @type {WeakMap<Element, Spark>} */
  const byBox = new WeakMap();
  /** @type {Set<Spark>} */
  const dirty = new Set();
  /** @type {Set<Spark>} */
  const all = new Set();
  let drawing = false;

  /** @param {Spark} s */
  function makeChart(s) {
    if (s.chart) return;
    const canvas = el('canvas');
    s.box.appendChild(canvas);
    s.chart = new Chart(canvas, {
      type: 'line',
      data: { labels: s.series.map(() => ''), datasets: [{ data: s.series, borderWidth: 1.5, pointRadius: 0, tension: 0.3, borderColor: color }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false } } },
    });
  }

  const watcher = window.IntersectionObserver
    ? new IntersectionObserver(
        (entries) => {
          entries.forEach((e) => {
            if (!e.isIntersecting) return;
            watcher?.unobserve(e.target);
            const s = byBox.get(e.target);
            if (s) makeChart(s);
          });
        },
        { rootMargin: '200px' },
      )
    : null;

  return {
    /**
     * A sparkline at the end of `row` for a numeric first value; none for other values.
     * @param {HTMLElement} row
     * @param {unknown} value
     * @returns {Spark | undefined}
     */
    add(row, value) {
      if (typeof value !== 'number') return undefined;
      // Chart.js sizes a responsive chart from its container: the container's height must be fixed.
      const box = el('div', 'spark');
      row.appendChild(box);
      /** @type {Spark} */
      const s = { row, box, series: [value] };
      byBox.set(box, s);
      all.add(s);
      if (watcher) watcher.observe(box);
      else makeChart(s);
      return s;
    },

    /**
     * A new value; drawn in the next round, once however many values came: text first, pictures after.
     * @param {Spark | undefined} s
     * @param {unknown} value
     */
    push(s, value) {
      if (!s || typeof value !== 'number') return;
      s.series.push(value);
      if (s.series.length > SPARK_POINTS) s.series.shift();
      if (s.chart) dirty.add(s);
    },

    /**
     * Redraws the sparklines that changed, a few milliseconds' worth at a time: a hundred charts in one
     * go would hold the page for a long frame, and a value arriving meanwhile would wait for it.
     */
    draw() {
      if (drawing) return;
      drawing = true;
      const queue = Array.from(dirty);
      dirty.clear();
      (function slice() {
        const until = performance.now() + 4;
        while (queue.length && performance.now() < until) {
          const s = /** @type {Spark} */ (queue.shift());
          if (!s.row.isConnected || s.row.closest('[hidden]') || !s.chart) continue;
          s.chart.data.labels = s.series.map(() => '');
          s.chart.update('none');
        }
        if (queue.length) setTimeout(slice, 0);
        else drawing = false;
      })();
    },

    /** @param {Spark | undefined} s */
    remove(s) {
      if (!s) return;
      s.chart?.destroy();
      all.delete(s);
      dirty.delete(s);
    },

    /** The page is left: every chart goes. */
    close() {
      watcher?.disconnect();
      all.forEach((s) => s.chart?.destroy());
      all.clear();
    },
  };
}
