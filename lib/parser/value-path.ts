/**
 * Payload value paths (issue #17): where in a JSON payload a topic template's value sits, for
 * clients that wrap it under another key or nest it (`{"sensor":{"temp":21}}`). Syntax, a small
 * subset of JSONPath: an optional `$` or `$.`, then names separated by `.` (`data`, `sensor.temp`),
 * indexes `[0]`, quoted names `['a b']`, and `[*]` for every element of an array
 * (`$.readings[*]`), each of which becomes its own reading (`<attribute>.0`, `<attribute>.1`).
 *
 * Pure, no Node-RED import. Bounded: at most MAX_PATH_SEGMENTS segments, and `[*]` reads at most
 * MAX_ARRAY_ELEMENTS elements.
 */
import { MAX_ARRAY_ELEMENTS } from './json-leaves';

export const MAX_PATH_SEGMENTS = 16;

/** A name, an index, or every element. */
export type PathSegment = { key: string } | { index: number } | { every: true };

export interface ValuePath {
  text: string;
  segments: PathSegment[];
  /** The last name of the path: the attribute when the topic names none (`sensor.temp` → `temp`). */
  lastName?: string;
}

const SEGMENT = /^(?:\.?([A-Za-z_$][\w$:-]*)|\[\s*(?:(\d{1,6})|(\*)|'([^']*)'|"([^"]*)")\s*\])/;

/** Compiles a value path; the problem in words when it is not one. */
export function compileValuePath(text: string): ValuePath | string {
  let rest = text.trim();
  if (rest.length === 0) return 'the value path is empty';
  if (rest.length > 200) return 'the value path is longer than 200 characters';
  const source = rest;
  if (rest.startsWith('$')) rest = rest.slice(1);
  const segments: PathSegment[] = [];
  let lastName: string | undefined;
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return `the value path ${JSON.stringify(source)} cannot be read at ${JSON.stringify(rest.slice(0, 20))}; write names with dots (sensor.temp), [0] for an element, [*] for every element`;
    const name = m[1] ?? m[4] ?? m[5];
    if (name !== undefined) {
      segments.push({ key: name });
      lastName = name;
    } else if (m[2] !== undefined) segments.push({ index: Number(m[2]) });
    else segments.push({ every: true });
    if (segments.length > MAX_PATH_SEGMENTS) return `the value path ${JSON.stringify(source)} has more than ${MAX_PATH_SEGMENTS} segments`;
    rest = rest.slice(m[0].length);
  }
  if (segments.length === 0) return `the value path ${JSON.stringify(source)} names nothing; "$" alone is the whole payload, leave the path out for that`;
  return lastName === undefined ? { text: source, segments } : { text: source, segments, lastName };
}

/** One value a path found, with the indexes `[*]` went through (they extend the attribute name). */
export interface PathHit {
  suffix: string[];
  value: unknown;
  /** Where it was found: keys and indexes from the root. */
  at: string[];
}

/** What a path finds in a parsed JSON value: the hits, or why there are none (too many elements). */
export function evaluatePath(root: unknown, path: ValuePath): PathHit[] | string {
  let hits: PathHit[] = [{ suffix: [], value: root, at: [] }];
  for (const seg of path.segments) {
    const next: PathHit[] = [];
    for (const h of hits) {
      const v = h.value;
      if ('key' in seg) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, seg.key)) {
          next.push({ suffix: h.suffix, value: (v as Record<string, unknown>)[seg.key], at: [...h.at, seg.key] });
        }
      } else if ('index' in seg) {
        if (Array.isArray(v) && seg.index < v.length) next.push({ suffix: h.suffix, value: v[seg.index], at: [...h.at, String(seg.index)] });
      } else if (Array.isArray(v)) {
        if (v.length > MAX_ARRAY_ELEMENTS) return `[*] in ${JSON.stringify(path.text)} meets an array of ${v.length} elements, more than the ${MAX_ARRAY_ELEMENTS} read per array`;
        for (let i = 0; i < v.length; i++) next.push({ suffix: [...h.suffix, String(i)], value: v[i], at: [...h.at, String(i)] });
      }
    }
    hits = next;
    if (hits.length === 0) break;
  }
  return hits;
}
