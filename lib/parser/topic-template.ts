/**
 * Topic templates (issue #17), for devices whose topics are not site/room/device/attribute:
 * `{site}/{room}/{attribute}` (no device level), `/{device}/{sensor}/{attribute}` (ESP sketches
 * with a leading `/`), `home/{site}/+/{room}/{device}/{attribute}` (extra fixed levels). Telegraf
 * calls these `topic_parsing`.
 *
 * One template a line: a pattern, then optional `key=value` settings:
 *   `{site}/{room}/{attribute} device=thermostat unit=°C path=sensor.temp`
 *  - `{site}`, `{room}`, `{device}`, `{attribute}` take a level each; any other `{name}` takes a
 *    level that becomes part of the attribute (`{sensor}/{attribute}` → `bme280.temperature`);
 *  - `+` skips a level, a trailing `#` takes the rest of the levels into the attribute (joined by `.`);
 *  - fixed words must be equal; a leading `/` matches topics that start with one;
 *  - `site=`, `room=`, `device=` fill parts the topic lacks, and may use the topic's parts
 *    (`device={room}-sensor`); without them the site is the parser's default site, the device is
 *    the room (`{site}/{room}/{attribute}`: one device per room) and the room is empty;
 *  - `path=` names where the value sits in a JSON payload (value-path.ts), `unit=` the unit of
 *    numbers that carry none.
 * Templates are tried in order before the plain Octopus format, on topics no firmware profile
 * claims (so the firmware profiles keep their place); the first that matches wins. The default
 * template `{site}/{room}/{device}/{attribute}` is the Octopus format itself (it also reads
 * site/room/device with a JSON object). Readings of a template keep the Octopus identity:
 * deviceId `site/room/device` (`site/device` when the room is empty).
 *
 * Pure, no Node-RED import; never on the path of a parser that has no templates.
 */
import type { ParseResult, Reading } from '../model/reading';
import { parseOctopusMessage } from './octopus-format';
import { isReject, parseJson, reject, scanTopic, show } from './parse-kit';
import { isPlainObject } from './parse-values';
import { explaining, noteLeavesOutside } from './json-leaves';
import { wrappedValue } from './octopus-objects';
import { compileValuePath, evaluatePath, type ValuePath } from './value-path';

export const DEFAULT_TEMPLATE = '{site}/{room}/{device}/{attribute}';
export const MAX_TEMPLATES = 50;

type Level = { fixed: string } | { name: string } | { skip: true } | { rest: true };

export interface TopicTemplate {
  source: string;
  /** The Octopus format itself: matches 3- and 4-level topics and hands them over unchanged. */
  octopus: boolean;
  leadingSlash: boolean;
  levels: Level[];
  path?: ValuePath;
  unit?: string;
  site?: string;
  room?: string;
  device?: string;
}

const PARTS = new Set(['site', 'room', 'device', 'attribute']);
const NAME = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const REFERENCE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// eslint-disable-next-line no-control-regex
const BAD_LEVEL_CHARS = /[+#/\u0000-\u001f\u007f]/;

/** Compiles one template line; the problem in words when it is not one. */
export function compileTemplate(line: string): TopicTemplate | string {
  const words = line.trim().split(/\s+/);
  const pattern = words[0] ?? '';
  if (pattern.length === 0) return 'the template is empty';
  const t: TopicTemplate = { source: line.trim(), octopus: false, leadingSlash: pattern.startsWith('/'), levels: [] };
  const raw = (t.leadingSlash ? pattern.slice(1) : pattern).split('/');
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const level = raw[i];
    const m = NAME.exec(level);
    if (m) {
      if (seen.has(m[1])) return `template ${show(pattern)} names {${m[1]}} twice`;
      seen.add(m[1]);
      t.levels.push({ name: m[1] });
    } else if (level === '+') t.levels.push({ skip: true });
    else if (level === '#') {
      if (i !== raw.length - 1) return `template ${show(pattern)} has # before its last level; # takes the rest of the topic`;
      t.levels.push({ rest: true });
    } else if (level.length === 0) return `template ${show(pattern)} has an empty level`;
    else if (BAD_LEVEL_CHARS.test(level) || level.includes('{') || level.includes('}')) return `template ${show(pattern)} has the level ${show(level)}, which is neither {name}, +, # nor a plain word`;
    else t.levels.push({ fixed: level });
  }
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : word;
    const value = eq > 0 ? word.slice(eq + 1) : '';
    if (value.length === 0) return `template setting ${show(word)} needs key=value (path, unit, site, room or device)`;
    if (key === 'path') {
      const p = compileValuePath(value);
      if (typeof p === 'string') return p;
      t.path = p;
    } else if (key === 'unit') t.unit = value;
    else if (key === 'site' || key === 'room' || key === 'device') {
      if (seen.has(key)) return `template ${show(pattern)} takes {${key}} from the topic and also sets ${key}=; keep one`;
      if (/[+#/]/.test(value.replace(REFERENCE, ''))) return `${key}=${show(value)} may not hold /, + or #`;
      for (const ref of value.matchAll(REFERENCE)) if (!seen.has(ref[1])) return `${key}=${show(value)} uses {${ref[1]}}, which the pattern does not take`;
      t[key] = value;
    } else return `unknown template setting ${show(key)}; known: path, unit, site, room, device`;
  }
  if (!seen.has('device') && t.device === undefined && !seen.has('room')) {
    return `template ${show(pattern)} names no device: take {device} or {room} from the topic, or set device=…`;
  }
  const hasAttribute = seen.has('attribute') || t.levels.some((l) => 'rest' in l) || [...seen].some((n) => !PARTS.has(n)) || t.path !== undefined;
  if (!hasAttribute && t.levels.length === 0) return `template ${show(pattern)} matches nothing`;
  t.octopus = pattern === DEFAULT_TEMPLATE && words.length === 1;
  return t;
}

/** Compiles a list of template lines (blank lines and `//` comments skipped); the problems by line. */
export function compileTemplates(lines: readonly string[] | string): { templates: TopicTemplate[]; problems: string[] } {
  const list = typeof lines === 'string' ? lines.split(/\r?\n/) : lines;
  const templates: TopicTemplate[] = [];
  const problems: string[] = [];
  list.forEach((line, i) => {
    if (typeof line !== 'string' || line.trim() === '' || line.trim().startsWith('//')) return;
    if (templates.length >= MAX_TEMPLATES) {
      problems.push(`line ${i + 1}: more than ${MAX_TEMPLATES} templates`);
      return;
    }
    const t = compileTemplate(line);
    if (typeof t === 'string') problems.push(`line ${i + 1}: ${t}`);
    else templates.push(t);
  });
  return { templates, problems };
}

const cache = new WeakMap<readonly string[], TopicTemplate[]>();

/** The compiled templates of ParseOptions.topicTemplates, cached by array identity; lines that do not compile are left out. */
export function templatesOf(lines: readonly string[]): TopicTemplate[] {
  let t = cache.get(lines);
  if (t === undefined) {
    t = compileTemplates(lines).templates;
    cache.set(lines, t);
  }
  return t;
}

/** The template's parts from the topic's levels, or undefined when it does not match. */
function match(t: TopicTemplate, topic: string): Map<string, string> | string[] | undefined {
  if (t.leadingSlash !== topic.startsWith('/')) return undefined;
  const levels = (t.leadingSlash ? topic.slice(1) : topic).split('/');
  if (t.octopus) return levels.length === 3 || levels.length === 4 ? levels : undefined;
  const n = t.levels.length;
  const rest = n > 0 && 'rest' in t.levels[n - 1];
  if (rest ? levels.length < n : levels.length !== n) return undefined;
  const parts = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const l = t.levels[i];
    const v = levels[i];
    if (v.length === 0) return undefined;
    if ('fixed' in l) {
      if (l.fixed !== v) return undefined;
    } else if ('name' in l) parts.set(l.name, v);
    else if ('rest' in l) parts.set('#', levels.slice(i).join('.'));
  }
  return parts;
}

function fill(text: string, parts: Map<string, string>): string {
  return text.replace(REFERENCE, (_m, name: string) => parts.get(name) ?? '');
}

export interface TemplateParse {
  maxPayloadBytes?: number;
  receivedAt?: number;
  defaultSite: string;
}

/**
 * Reads the message with the first template that matches; undefined when none does. The Octopus
 * template hands the message to the Octopus format unchanged (undefined, so the caller's fast path runs).
 */
export function parseWithTemplates(templates: readonly TopicTemplate[], topic: string, payload: Buffer | string, o: TemplateParse): ParseResult | undefined {
  // a topic with an empty level, a wildcard or a control character is the Octopus format's to refuse, with its reason
  if (typeof topic !== 'string' || isReject(scanTopic(topic.startsWith('/') ? topic.slice(1) : topic))) return undefined;
  for (const t of templates) {
    const parts = match(t, topic);
    if (parts === undefined) continue;
    if (Array.isArray(parts)) return undefined; // the Octopus format
    return parseMatched(t, parts as Map<string, string>, topic, payload, o);
  }
  return undefined;
}

function parseMatched(t: TopicTemplate, parts: Map<string, string>, topic: string, payload: Buffer | string, o: TemplateParse): ParseResult {
  const site = parts.get('site') ?? (t.site !== undefined ? fill(t.site, parts) : o.defaultSite);
  const room = parts.get('room') ?? (t.room !== undefined ? fill(t.room, parts) : '');
  const device = parts.get('device') ?? (t.device !== undefined ? fill(t.device, parts) : room);
  const names: string[] = [];
  for (const l of t.levels) if ('name' in l && !PARTS.has(l.name)) names.push(parts.get(l.name) as string);
  if (parts.has('attribute')) names.push(parts.get('attribute') as string);
  if (parts.has('#')) names.push(parts.get('#') as string);
  let attribute = names.length > 0 ? names.join('.') : undefined;
  if (site.length === 0 || device.length === 0) {
    return { readings: [], rejects: [reject('topic-empty-level', `template ${show(t.source)} gives topic ${show(topic)} an empty ${site.length === 0 ? 'site' : 'device'}`)] };
  }
  // The Octopus format reads the value (numbers, text, {value, unit, ts}, objects of attributes),
  // on a topic made of the template's parts; the identity is put back afterwards.
  const base = `${site}/${room.length > 0 ? room : '-'}/${device}`;
  let result: ParseResult;
  if (t.path === undefined) {
    result = parseOctopusMessage(attribute === undefined ? base : `${base}/${attribute}`, payload, o.maxPayloadBytes, o.receivedAt);
  } else {
    const picked = pickValues(t, t.path, payload, attribute ?? t.path.lastName, o);
    if ('readings' in picked) return { ...picked, template: t.source };
    result = parseOctopusMessage(base, picked.json, o.maxPayloadBytes, o.receivedAt);
    attribute = undefined;
  }
  for (const r of result.readings) fixIdentity(r, site, room, device, t.unit);
  result.template = t.source;
  return result;
}

function fixIdentity(r: Reading, site: string, room: string, device: string, unit: string | undefined): void {
  r.site = site;
  r.room = room;
  r.device = device;
  r.deviceId = room.length > 0 ? `${site}/${room}/${device}` : `${site}/${device}`;
  if (unit !== undefined && r.unit === undefined && typeof r.value === 'number') r.unit = unit;
}

/** The values a value path finds, as a JSON object of attributes for the Octopus format; or the reject. */
function pickValues(t: TopicTemplate, path: ValuePath, payload: Buffer | string, attribute: string | undefined, o: TemplateParse): { json: string } | ParseResult {
  const text = (typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '').trim();
  const limit = o.maxPayloadBytes ?? 64 * 1024;
  const refuse = (code: 'value-invalid' | 'payload-too-large', reason: string): ParseResult => ({ readings: [], rejects: [reject(code, reason, attribute)] });
  if (Buffer.byteLength(text) > limit) return refuse('payload-too-large', `the payload is larger than ${limit} bytes`);
  const c0 = text.charCodeAt(0);
  if (c0 !== 0x7b && c0 !== 0x5b) return refuse('value-invalid', `template ${show(t.source)} reads the value at ${show(path.text)}, and the payload ${show(text)} is not a JSON object or array`);
  const json = parseJson(text);
  if (!json.ok) return { readings: [], rejects: [json.reject] };
  const hits = evaluatePath(json.value, path);
  if (typeof hits === 'string') return refuse('value-invalid', hits);
  if (hits.length === 0) return refuse('value-invalid', `the payload has no value at ${show(path.text)} (template ${show(t.source)}): ${show(text)}`);
  if (explaining()) noteLeavesOutside(json.value, '', new Set(hits.map((h) => h.at.join('.'))), `outside the value path ${path.text} of template ${t.source}`);
  const out: Record<string, unknown> = {};
  for (const h of hits) {
    const name = [attribute ?? 'value', ...h.suffix].join('.');
    if (isPlainObject(h.value) && h.value.value === undefined && attribute !== undefined && wrappedValue(h.value) === undefined) {
      for (const key of Object.keys(h.value)) out[`${name}.${key}`] = h.value[key];
    } else out[name] = h.value;
  }
  return { json: JSON.stringify(out) };
}
