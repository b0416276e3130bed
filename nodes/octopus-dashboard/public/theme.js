// @ts-check
// The theme: the system's unless the user chose one (remembered in this browser).

/** @typedef {'auto' | 'light' | 'dark'} Theme */
/** @type {Theme[]} */
const THEMES = ['auto', 'light', 'dark'];

/** @returns {Theme} */
export function theme() {
  try {
    const saved = localStorage.getItem('octopus-theme');
    return saved === 'light' || saved === 'dark' ? saved : 'auto';
  } catch {
    return 'auto';
  }
}

/** @param {Theme} choice */
export function applyTheme(choice) {
  if (choice === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
  const button = document.getElementById('theme');
  if (button) {
    button.textContent = choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐';
    button.title = 'Theme: ' + choice + ' (click to change)';
    button.dataset.theme = choice;
  }
}

export function nextTheme() {
  const next = THEMES[(THEMES.indexOf(theme()) + 1) % THEMES.length];
  try {
    localStorage.setItem('octopus-theme', next);
  } catch {
    // private mode: the choice lasts for this page only
  }
  applyTheme(next);
  return next;
}
