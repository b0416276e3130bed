// @ts-check
// Building the page: elements with text only (device data is never parsed as HTML), and the
// theme's colours for the charts.

/**
 * An element with a class, text and attributes; children are appended. Never innerHTML.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} [cls]
 * @param {unknown} [text] shown as text; undefined or null: none
 * @param {Record<string, unknown> | null} [attrs] undefined or null values are left out
 * @param {...(Node | null | undefined | false | '')} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, cls, text, attrs, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    }
  }
  for (const child of children) if (child) e.appendChild(child);
  return e;
}

/**
 * A CSS custom property of the page as it is now (light or dark), or the fallback.
 * @param {string} name
 * @param {string} fallback
 */
export function css(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
