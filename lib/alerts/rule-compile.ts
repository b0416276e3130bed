import type { ReadingValue } from '../model/reading';
import { severityRank, type AlertRule, type ConditionKind, type Severity } from './rule-schema';
import { compileTemplate, type TemplatePart } from './rule-template';

/**
 * Alert rules compiled for the engine: selectors as matchers, severity levels with their limits,
 * clear limits (hysteresis) and message templates resolved once. Pure: no Node-RED, no database.
 */

/** One string selector: any value, one exact value, or a `*` glob. */
export type Matcher = { kind: 'any' } | { kind: 'exact'; value: string } | { kind: 'glob'; re: RegExp; prefix: string };

export function compileMatcher(pattern: string | undefined): Matcher {
  if (pattern === undefined || pattern === '*') return { kind: 'any' };
  if (!pattern.includes('*')) return { kind: 'exact', value: pattern };
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return { kind: 'glob', re, prefix: pattern.slice(0, pattern.indexOf('*')) };
}

function matches(m: Matcher, v: string | undefined): boolean {
  if (m.kind === 'any') return true;
  if (v === undefined) return false;
  return m.kind === 'exact' ? m.value === v : m.re.test(v);
}

/** One severity level of a rule: its limits and how long they must hold. */
export interface Level {
  severity: Severity;
  rank: number;
  threshold: number;
  min: number;
  max: number;
  forMs: number;
  forReadings: number;
}

export interface CompiledRule {
  /** Position in the current rule list. */
  index: number;
  id: string;
  name: string;
  rule: AlertRule;
  /** The rule's JSON: an unchanged definition keeps its pending state across a rule update. */
  signature: string;
  site: Matcher;
  room: Matcher;
  device: Matcher;
  attribute: Matcher;
  kind: Matcher | undefined;
  condition: ConditionKind;
  /** Levels by rising severity; level 0 is the rule's own severity. */
  levels: Level[];
  value: ReadingValue | undefined;
  /** Clear limits (hysteresis): above/below/rate use clearAt, ranges clearMin–clearMax. */
  clearAt: number;
  clearMin: number;
  clearMax: number;
  clearForMs: number;
  clearForReadings: number;
  /** Some duration is measured in time: the engine's tick must look at this rule's pending states. */
  timed: boolean;
  windowMs: number;
  direction: 'rise' | 'fall' | 'either';
  noDataMs: number;
  /** Undefined: the node's repeat interval. */
  repeatMs: number | undefined;
  message: TemplatePart[];
  noDataMessage: TemplatePart[];
}

const DEFAULT_MESSAGES: Record<ConditionKind, string> = {
  above: '{device} {attribute} is {value}{unit}, above {threshold}{unit}',
  below: '{device} {attribute} is {value}{unit}, below {threshold}{unit}',
  outside: '{device} {attribute} is {value}{unit}, outside {min}–{max}{unit}',
  inside: '{device} {attribute} is {value}{unit}, inside {min}–{max}{unit}',
  equals: '{device} {attribute} is {value}',
  changed: '{device} {attribute} changed from {previous} to {value}',
  rate: '{device} {attribute} is changing by {rate}{unit}/min (limit {threshold}{unit}/min)',
  nodata: '{device} {attribute}: no data for {silence}',
};
const DEFAULT_NODATA_MESSAGE = DEFAULT_MESSAGES.nodata;

/** Compiles validated rules (checkRules first); disabled rules are left out. */
export function compileRules(rules: readonly AlertRule[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const r of rules) {
    if (r.enabled === false) continue;
    out.push(compileRule(r, out.length));
  }
  return out;
}

function compileRule(r: AlertRule, index: number): CompiledRule {
  const severity = r.severity ?? 'warning';
  const d = r.deadband ?? 0;
  const t = r.threshold ?? 0;
  const min = r.min ?? 0;
  const max = r.max ?? 0;
  const forMs = (r.forS ?? 0) * 1000;
  const forReadings = r.forReadings ?? 0;
  const levels: Level[] = [{ severity, rank: severityRank(severity), threshold: t, min, max, forMs, forReadings }];
  for (const e of r.escalate ?? []) {
    levels.push({
      severity: e.severity,
      rank: severityRank(e.severity),
      threshold: e.threshold ?? t,
      min: e.min ?? min,
      max: e.max ?? max,
      forMs: e.forS !== undefined ? e.forS * 1000 : forMs,
      forReadings: e.forReadings ?? forReadings,
    });
  }
  let clearAt = 0;
  let clearMin = 0;
  let clearMax = 0;
  switch (r.condition) {
    case 'above':
      clearAt = r.clearThreshold ?? t - d;
      break;
    case 'below':
      clearAt = r.clearThreshold ?? t + d;
      break;
    case 'rate':
      clearAt = r.clearThreshold ?? Math.max(0, t - d);
      break;
    case 'outside':
      clearMin = r.clearMin ?? min + d;
      clearMax = r.clearMax ?? max - d;
      break;
    case 'inside':
      clearMin = r.clearMin ?? min - d;
      clearMax = r.clearMax ?? max + d;
      break;
    default:
      break;
  }
  return {
    index,
    id: r.id,
    name: r.name ?? r.id,
    rule: r,
    signature: JSON.stringify(r),
    site: compileMatcher(r.site),
    room: compileMatcher(r.room),
    device: compileMatcher(r.device),
    attribute: compileMatcher(r.attribute),
    kind: r.kind === undefined ? undefined : compileMatcher(r.kind),
    condition: r.condition,
    levels,
    value: r.value,
    clearAt,
    clearMin,
    clearMax,
    clearForMs: (r.clearForS ?? 0) * 1000,
    clearForReadings: r.clearForReadings ?? 0,
    timed: levels.some((l) => l.forMs > 0) || (r.clearForS ?? 0) > 0,
    windowMs: (r.windowS ?? 60) * 1000,
    direction: r.direction ?? 'rise',
    noDataMs: (r.noDataS ?? 0) * 1000,
    repeatMs: r.repeatS === undefined ? undefined : r.repeatS * 1000,
    message: compileTemplate(r.message ?? DEFAULT_MESSAGES[r.condition]),
    noDataMessage: compileTemplate(r.noDataMessage ?? DEFAULT_NODATA_MESSAGE),
  };
}

/** What a rule is matched against: a reading's identity, or a restored series'. */
export interface SeriesIdentity {
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
}

/**
 * Whether a rule selects this series; `device` matches the device's own id or its full deviceId.
 * `ignoreKind`: the kind is not known yet (a series restored before its device reported).
 */
export function ruleMatches(rule: CompiledRule, s: SeriesIdentity, kind: string | undefined, ignoreKind = false): boolean {
  return (
    matches(rule.attribute, s.attribute) &&
    (matches(rule.device, s.device) || (s.deviceId !== s.device && matches(rule.device, s.deviceId))) &&
    matches(rule.site, s.site) &&
    matches(rule.room, s.room) &&
    (rule.kind === undefined || ignoreKind || matches(rule.kind, kind))
  );
}

