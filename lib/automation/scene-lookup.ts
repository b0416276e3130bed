import type { Scene } from './automation-types';

/** A scene by id, or by name (within `site` when given); a sentence when there is none or more than one. */
export function findScene(scenes: Iterable<Scene>, wanted: string, site?: string): Scene | string {
  const all = [...scenes].filter((s) => site === undefined || s.site === site);
  const byId = all.find((s) => s.id === wanted);
  if (byId) return byId;
  const named = all.filter((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (named.length === 1) return named[0];
  if (named.length > 1) return `${named.length} scenes are called '${wanted}' (at ${named.map((s) => s.site).join(', ')}): give the site or the id`;
  return `no scene '${wanted}'${site ? ` at site "${site}"` : ''}`;
}
