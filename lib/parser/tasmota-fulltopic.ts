/**
 * Tasmota's FullTopic and prefixes as the operator set them (issue #17;
 * https://tasmota.github.io/docs/MQTT/#mqtt-topic-definition). Tasmota builds every topic from
 * the FullTopic (default `%prefix%/%topic%/`) followed by the message's suffix (SENSOR, STATE,
 * LWT, POWER…); `%prefix%` is one of three prefixes (defaults `cmnd`, `stat`, `tele`, renamed with
 * SetPrefix1–3), `%topic%` the device topic (or `%hostname%`, `%id%`), other levels are fixed
 * words. The parser recognises the default and the `%topic%/%prefix%/` forms by their markers
 * alone; a FullTopic with renamed prefixes or fixed words around them is recognised only once the
 * parse node is told it.
 *
 * Pure, no Node-RED import.
 */
export interface TasmotaTopicOptions {
  /** Tasmota's FullTopic setting, e.g. `%prefix%/%topic%/` (the default) or `home/%topic%/%prefix%/`. */
  fullTopic?: string;
  /** The three prefixes as set by SetPrefix1–3: command, status, telemetry. Defaults `cmnd`, `stat`, `tele`. */
  prefixes?: { cmnd?: string; stat?: string; tele?: string };
}

export const DEFAULT_FULLTOPIC = '%prefix%/%topic%/';
const DEVICE_TOKENS = new Set(['%topic%', '%hostname%', '%id%']);
// eslint-disable-next-line no-control-regex
const BAD_LEVEL = /[+#%\u0000-\u001f]/;

type Part = { fixed: string } | { prefix: true } | { device: true };

export interface FullTopic {
  source: string;
  parts: Part[];
  /** Prefix as published → the standard one. */
  prefixes: Map<string, 'cmnd' | 'stat' | 'tele'>;
  /** True for the defaults, which markers already recognise: nothing to match. */
  standard: boolean;
}

/** Where prefix, device and suffix are in a topic the FullTopic matched. */
export interface TasmotaLocated {
  prefix: 'cmnd' | 'stat' | 'tele';
  device: string;
  suffix: string;
  /** True when the FullTopic starts with the prefix: the topic names no house. */
  prefixFirst: boolean;
}

/** Compiles the options; the problem in words when the FullTopic cannot be one. */
export function compileFullTopic(o: TasmotaTopicOptions): FullTopic | string {
  const source = (o.fullTopic ?? DEFAULT_FULLTOPIC).trim() || DEFAULT_FULLTOPIC;
  const levels = source.replace(/\/+$/, '').split('/');
  const parts: Part[] = [];
  let prefix = 0;
  let device = 0;
  for (const l of levels) {
    if (l === '%prefix%') {
      parts.push({ prefix: true });
      prefix++;
    } else if (DEVICE_TOKENS.has(l)) {
      parts.push({ device: true });
      device++;
    } else if (l.length === 0 || BAD_LEVEL.test(l)) return `FullTopic ${JSON.stringify(source)} has the level ${JSON.stringify(l)}; use %prefix%, %topic% (or %hostname%, %id%) and plain words`;
    else parts.push({ fixed: l });
  }
  if (prefix !== 1) return `FullTopic ${JSON.stringify(source)} needs %prefix% exactly once`;
  if (device === 0) return `FullTopic ${JSON.stringify(source)} needs %topic%, %hostname% or %id%`;
  const names = { cmnd: o.prefixes?.cmnd?.trim() || 'cmnd', stat: o.prefixes?.stat?.trim() || 'stat', tele: o.prefixes?.tele?.trim() || 'tele' };
  const prefixes = new Map<string, 'cmnd' | 'stat' | 'tele'>();
  for (const k of ['cmnd', 'stat', 'tele'] as const) {
    if (/[/+#]/.test(names[k]) || names[k].length > 64) return `the ${k} prefix ${JSON.stringify(names[k])} must be one topic level`;
    if (prefixes.has(names[k])) return `the prefixes must differ (${JSON.stringify(names[k])} twice)`;
    prefixes.set(names[k], k);
  }
  const defaultNames = names.cmnd === 'cmnd' && names.stat === 'stat' && names.tele === 'tele';
  const shape = parts.map((p) => ('prefix' in p ? 'P' : 'device' in p ? 'T' : 'F')).join('');
  return { source, parts, prefixes, standard: defaultNames && (shape === 'PT' || shape === 'TP') };
}

const cache = new WeakMap<TasmotaTopicOptions, FullTopic | undefined>();

/** The compiled FullTopic of ParseOptions.tasmota, cached by object identity; undefined for the defaults or a setting that does not compile. */
export function fullTopicOf(o: TasmotaTopicOptions): FullTopic | undefined {
  if (cache.has(o)) return cache.get(o);
  const c = compileFullTopic(o);
  const f = typeof c === 'string' || c.standard ? undefined : c;
  cache.set(o, f);
  return f;
}

/** The topic read by the FullTopic: prefix, device, suffix; undefined when it does not match. */
export function locateFullTopic(f: FullTopic, levels: readonly string[]): TasmotaLocated | undefined {
  if (levels.length !== f.parts.length + 1) return undefined;
  let prefix: 'cmnd' | 'stat' | 'tele' | undefined;
  const device: string[] = [];
  for (let i = 0; i < f.parts.length; i++) {
    const p = f.parts[i];
    const l = levels[i];
    if ('fixed' in p) {
      if (p.fixed !== l) return undefined;
    } else if ('prefix' in p) {
      prefix = f.prefixes.get(l);
      if (prefix === undefined) return undefined;
    } else device.push(l);
  }
  if (prefix === undefined) return undefined;
  return { prefix, device: device.join('/'), suffix: levels[levels.length - 1], prefixFirst: 'prefix' in f.parts[0] };
}
