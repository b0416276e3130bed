/**
 * The parse node's settings as ParseOptions, checked: shared by the node (deployed settings), the
 * "try a message" admin route (the editor's current, undeployed settings) and `npm run parse`, so
 * that all three read a message the same way. Pure, no Node-RED import.
 */
import { DEFAULT_MAX_PAYLOAD_BYTES, type ParseOptions, type ProfileName } from '../model/reading';
import { numberSetting } from '../node-config/number-settings';
import { DEFAULT_PROFILE_ORDER, parseProfileList } from './detect';
import { DEFAULT_MAX_LEVEL_BYTES } from './house';
import { compileFullTopic, DEFAULT_FULLTOPIC, type TasmotaTopicOptions } from './tasmota-fulltopic';
import { compileTemplates } from './topic-template';

/** The MQTT maximum packet size: no payload can be larger. */
export const MAX_PAYLOAD_LIMIT = 268435455;

/** The settings as the editor stores them (text fields). */
export interface ParseConfig {
  maxPayloadBytes?: string | number;
  /** Enabled profiles in priority order, comma-separated; empty: all, in the default order. */
  profiles?: string;
  site?: string;
  maxLevelBytes?: string | number;
  /** Topic templates, one a line (topic-template.ts); empty: the Octopus format alone. */
  templates?: string;
  /** Tasmota FullTopic; empty: `%prefix%/%topic%/`. */
  tasmotaFullTopic?: string;
  /** Tasmota prefixes `cmnd,stat,tele` as renamed with SetPrefix1–3; empty: the defaults. */
  tasmotaPrefixes?: string;
}

/** A whole number in 1–max, the fallback when unset, undefined when invalid. */
export function parseLimit(v: string | number | undefined, fallback = DEFAULT_MAX_PAYLOAD_BYTES, max = MAX_PAYLOAD_LIMIT): number | undefined {
  const n = numberSetting(v, fallback);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

/** The configured profile list, or the problem with it. */
export function parseProfiles(v: string | undefined): readonly ProfileName[] | string {
  if (v === undefined || v.trim() === '') return DEFAULT_PROFILE_ORDER;
  const { profiles, unknown } = parseProfileList(v);
  if (unknown.length > 0) return `unknown profile${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; known: ${DEFAULT_PROFILE_ORDER.join(', ')}`;
  if (profiles.length === 0) return 'no profile enabled; enable at least one';
  return profiles;
}

/** Topic templates and the Tasmota FullTopic as options, or the problem with them. */
export function topicOptionsOf(c: Pick<ParseConfig, 'templates' | 'tasmotaFullTopic' | 'tasmotaPrefixes'>): Pick<ParseOptions, 'topicTemplates' | 'tasmota'> | string {
  const out: Pick<ParseOptions, 'topicTemplates' | 'tasmota'> = {};
  const text = typeof c.templates === 'string' ? c.templates : '';
  if (text.length > 20000) return 'topic templates: longer than 20000 characters';
  if (text.trim() !== '') {
    const { templates, problems } = compileTemplates(text);
    if (problems.length > 0) return `topic templates: ${problems.join('; ')}`;
    out.topicTemplates = templates.map((t) => t.source);
  }
  const fullTopic = typeof c.tasmotaFullTopic === 'string' ? c.tasmotaFullTopic.trim() : '';
  const prefixText = typeof c.tasmotaPrefixes === 'string' ? c.tasmotaPrefixes.trim() : '';
  if ((fullTopic !== '' && fullTopic !== DEFAULT_FULLTOPIC) || (prefixText !== '' && prefixText !== 'cmnd,stat,tele')) {
    const names = prefixText === '' ? [] : prefixText.split(',').map((s) => s.trim());
    if (names.length !== 0 && names.length !== 3) return `Tasmota prefixes: give three, command,status,telemetry (e.g. cmnd,stat,tele), not ${JSON.stringify(prefixText)}`;
    const tasmota: TasmotaTopicOptions = { fullTopic: fullTopic || DEFAULT_FULLTOPIC };
    if (names.length === 3) tasmota.prefixes = { cmnd: names[0], stat: names[1], tele: names[2] };
    const compiled = compileFullTopic(tasmota);
    if (typeof compiled === 'string') return `Tasmota: ${compiled}`;
    out.tasmota = tasmota;
  }
  return out;
}

/** Every setting as ParseOptions (without context and receive time), or the first problem. */
export function parseOptionsOf(c: ParseConfig): ParseOptions | string {
  const maxPayloadBytes = parseLimit(c.maxPayloadBytes);
  if (maxPayloadBytes === undefined) return `max payload ${String(c.maxPayloadBytes)} is not a whole number of bytes in 1–${MAX_PAYLOAD_LIMIT}`;
  const profiles = parseProfiles(c.profiles);
  if (typeof profiles === 'string') return `profiles: ${profiles}`;
  const maxLevelBytes = parseLimit(c.maxLevelBytes, DEFAULT_MAX_LEVEL_BYTES, 65535);
  if (maxLevelBytes === undefined) return `max level ${String(c.maxLevelBytes)} is not a whole number of bytes in 1–65535`;
  const topics = topicOptionsOf(c);
  if (typeof topics === 'string') return topics;
  const defaultSite = typeof c.site === 'string' && c.site.trim() !== '' ? c.site.trim() : 'home';
  return { maxPayloadBytes, profiles, defaultSite, maxLevelBytes, ...topics };
}
