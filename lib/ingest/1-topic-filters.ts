export const SHARE_GROUP = /^[A-Za-z0-9_.-]+$/;

/** Splits the topics field (one filter per line or comma) and validates each filter. */
export function parseTopicFilters(text: string): { filters: string[]; problem?: string } {
  const filters = text
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (filters.length === 0) return { filters, problem: 'no topic to subscribe to' };
  for (const f of filters) {
    const levels = f.split('/');
    const bad = levels.findIndex((l, i) => (l.includes('#') && (l !== '#' || i !== levels.length - 1)) || (l.includes('+') && l !== '+'));
    if (bad >= 0) return { filters, problem: `topic filter "${f}" misuses a wildcard at level ${bad + 1}` };
  }
  return { filters };
}

