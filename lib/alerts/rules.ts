import Ajv, { type ErrorObject } from 'ajv';
import type { ReadingValue } from '../model/reading';

/**
 * Threshold alert rules: their JSON shape (validated with a JSON Schema, then checked for the
 * cross-field mistakes a schema cannot express), their compiled form, and the index that hands a
 * reading only the rules that can match it. Pure: no Node-RED, no database.
 */
export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export function severityRank(s: Severity): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}

export type ConditionKind = 'above' | 'below' | 'outside' | 'inside' | 'equals' | 'changed' | 'rate' | 'nodata';
export const CONDITIONS: readonly ConditionKind[] = ['above', 'below', 'outside', 'inside', 'equals', 'changed', 'rate', 'nodata'];

/** A stricter level of the same rule: a higher severity once a further limit (or a longer duration) is reached. */
export interface Escalation {
  severity: Severity;
  threshold?: number;
  min?: number;
  max?: number;
  forS?: number;
  forReadings?: number;
}

/** One rule as operators write it (editor, `msg.topic === 'rules'`). Absent selectors mean "any". */
export interface AlertRule {
  id: string;
  name?: string;
  enabled?: boolean;
  site?: string;
  room?: string;
  device?: string;
  attribute?: string;
  /** The device kind from the registry's metadata (`meta.kind`). */
  kind?: string;
  condition: ConditionKind;
  threshold?: number;
  min?: number;
  max?: number;
  value?: number | string | boolean;
  windowS?: number;
  direction?: 'rise' | 'fall' | 'either';
  clearThreshold?: number;
  clearMin?: number;
  clearMax?: number;
  deadband?: number;
  forS?: number;
  forReadings?: number;
  clearForS?: number;
  clearForReadings?: number;
  severity?: Severity;
  escalate?: Escalation[];
  message?: string;
  noDataS?: number;
  noDataMessage?: string;
  repeatS?: number;
}

export const MAX_RULES = 100_000;
const DAY_S = 86_400;

const SELECTOR = { type: 'string', minLength: 1, maxLength: 200 };
const DURATION_S = { type: 'number', minimum: 0, maximum: 30 * DAY_S };
const COUNT = { type: 'integer', minimum: 0, maximum: 100_000 };

/** The JSON Schema of a rule list; exported so the editor's help and the OpenAPI document can show it. */
export const RULES_SCHEMA = {
  type: 'array',
  maxItems: MAX_RULES,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'condition'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$' },
      name: { type: 'string', maxLength: 200 },
      enabled: { type: 'boolean' },
      site: SELECTOR,
      room: SELECTOR,
      device: SELECTOR,
      attribute: SELECTOR,
      kind: SELECTOR,
      condition: { enum: CONDITIONS },
      threshold: { type: 'number' },
      min: { type: 'number' },
      max: { type: 'number' },
      value: { type: ['number', 'string', 'boolean'] },
      windowS: { type: 'number', exclusiveMinimum: 0, maximum: DAY_S },
      direction: { enum: ['rise', 'fall', 'either'] },
      clearThreshold: { type: 'number' },
      clearMin: { type: 'number' },
      clearMax: { type: 'number' },
      deadband: { type: 'number', minimum: 0 },
      forS: DURATION_S,
      forReadings: COUNT,
      clearForS: DURATION_S,
      clearForReadings: COUNT,
      severity: { enum: SEVERITIES },
      escalate: {
        type: 'array',
        maxItems: 2,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['severity'],
          properties: {
            severity: { enum: SEVERITIES },
            threshold: { type: 'number' },
            min: { type: 'number' },
            max: { type: 'number' },
            forS: DURATION_S,
            forReadings: COUNT,
          },
        },
      },
      message: { type: 'string', maxLength: 1000 },
      noDataS: { type: 'number', minimum: 1, maximum: 30 * DAY_S },
      noDataMessage: { type: 'string', maxLength: 1000 },
      repeatS: { type: 'number', minimum: 0, maximum: 30 * DAY_S },
    },
    allOf: [
      { if: { properties: { condition: { enum: ['above', 'below', 'rate'] } } }, then: { required: ['threshold'] } },
      { if: { properties: { condition: { enum: ['outside', 'inside'] } } }, then: { required: ['min', 'max'] } },
      { if: { properties: { condition: { const: 'equals' } } }, then: { required: ['value'] } },
      { if: { properties: { condition: { const: 'nodata' } } }, then: { required: ['noDataS'] } },
    ],
  },
} as const;

// strictRequired off: the conditional `required` lists name properties declared beside the `if`, not inside it.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validateSchema = ajv.compile<AlertRule[]>(RULES_SCHEMA);

/** Fields a condition takes, beyond the ones every rule may have. */
const CONDITION_FIELDS: Record<ConditionKind, readonly (keyof AlertRule)[]> = {
  above: ['threshold', 'clearThreshold', 'deadband'],
  below: ['threshold', 'clearThreshold', 'deadband'],
  outside: ['min', 'max', 'clearMin', 'clearMax', 'deadband'],
  inside: ['min', 'max', 'clearMin', 'clearMax', 'deadband'],
  equals: ['value'],
  changed: [],
  rate: ['threshold', 'windowS', 'direction', 'clearThreshold', 'deadband'],
  nodata: [],
};
const SPECIFIC_FIELDS = new Set<keyof AlertRule>(['threshold', 'min', 'max', 'value', 'windowS', 'direction', 'clearThreshold', 'clearMin', 'clearMax', 'deadband']);

/** Placeholders a message template may use. */
export const TEMPLATE_FIELDS = [
  'site',
  'room',
  'device',
  'deviceId',
  'attribute',
  'value',
  'previous',
  'unit',
  'threshold',
  'min',
  'max',
  'rate',
  'severity',
  'rule',
  'ruleId',
  'condition',
  'forS',
  'silence',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
const TEMPLATE_FIELD_SET = new Set<string>(TEMPLATE_FIELDS);
const PLACEHOLDER = /\{([^{}]*)\}/g;

export type RulesCheck = { ok: true; rules: AlertRule[] } | { ok: false; errors: string[] };

/**
 * Validates a rule list and answers with sentences an operator can act on, each naming the rule
 * (position and id) and the field. At most `maxErrors` sentences, so a pasted file of garbage does
 * not produce a wall of text.
 */
export function checkRules(input: unknown, maxErrors = 10): RulesCheck {
  if (!Array.isArray(input)) {
    return { ok: false, errors: [`rules must be a JSON array of rule objects, not ${describe(input)}`] };
  }
  const errors: string[] = [];
  if (!validateSchema(input)) {
    for (const e of validateSchema.errors ?? []) {
      const sentence = schemaErrorSentence(e, input);
      if (sentence && !errors.includes(sentence)) errors.push(sentence);
    }
    return { ok: false, errors: errors.slice(0, maxErrors) };
  }
  const ids = new Map<string, number>();
  input.forEach((rule, i) => {
    const at = ruleLabel(i, rule);
    const first = ids.get(rule.id);
    if (first !== undefined) errors.push(`${at}: id "${rule.id}" is already used by rule ${first + 1}; ids must be unique`);
    else ids.set(rule.id, i);
    for (const p of semanticProblems(rule)) errors.push(`${at}: ${p}`);
  });
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, maxErrors) };
  return { ok: true, rules: input };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `text (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  return `a ${typeof v}`;
}

function ruleLabel(i: number, rule: unknown): string {
  const id = (rule as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? `rule ${i + 1} ("${id.slice(0, 64)}")` : `rule ${i + 1}`;
}

function schemaErrorSentence(e: ErrorObject, input: unknown[]): string | undefined {
  // `if` only reports that its `then` failed; the `then` error itself carries the useful part.
  if (e.keyword === 'if') return undefined;
  const path = e.instancePath.split('/').slice(1);
  if (path.length === 0) {
    if (e.keyword === 'maxItems') return `at most ${MAX_RULES} rules are allowed`;
    return `rules ${e.message ?? 'are invalid'}`;
  }
  const index = Number(path[0]);
  const rule = input[index];
  const at = ruleLabel(index, rule);
  const field = path.slice(1).join('.').replace(/\.(\d+)(?=\.|$)/g, (_m, n: string) => `[${Number(n) + 1}]`);
  const condition = (rule as { condition?: unknown } | null)?.condition;
  const p = e.params as Record<string, unknown>;
  const where = field ? `${field} ` : '';
  switch (e.keyword) {
    case 'type':
      if (!field) return `${at}: must be an object like {"id": "…", "condition": "above", "threshold": 30}`;
      return `${at}: ${field} must be ${article(String(p.type))}`;
    case 'required': {
      const missing = String(p.missingProperty);
      const inThen = e.schemaPath.includes('/then/');
      const why = inThen ? ` for condition "${String(condition)}"` : '';
      return `${at}: ${field ? `${field}.` : ''}${missing} is required${why}${hint(missing)}`;
    }
    case 'additionalProperties':
      return `${at}: unknown field "${String(p.additionalProperty)}"${field ? ` in ${field}` : ''} (allowed: ${allowedFields(field)})`;
    case 'enum':
      return `${at}: ${where}must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      if (field === 'id') return `${at}: id must be 1–64 letters, digits, "_", "-", "." or ":", starting with a letter or digit`;
      return `${at}: ${where}has an invalid form`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[e.keyword];
      return `${at}: ${where}must be ${op} ${String(p.limit)}`;
    }
    case 'minLength':
      return `${at}: ${where}must not be empty (use "*" or leave it out to match any)`;
    case 'maxLength':
      return `${at}: ${where}must be at most ${String(p.limit)} characters`;
    case 'maxItems':
      return `${at}: ${where}takes at most ${String(p.limit)} entries (one per severity above the rule's)`;
    default:
      return `${at}: ${where}${e.message ?? 'is invalid'}`;
  }
}

function article(type: string): string {
  if (type === 'integer') return 'a whole number';
  if (type === 'number,string,boolean') return 'a number, text or true/false';
  if (type === 'array') return 'a list';
  if (type === 'object') return 'an object';
  if (type === 'boolean') return 'true or false';
  return `a ${type}`;
}

function hint(field: string): string {
  switch (field) {
    case 'threshold':
      return ' (e.g. "threshold": 30)';
    case 'min':
    case 'max':
      return ' (e.g. "min": 18, "max": 24)';
    case 'value':
      return ' (e.g. "value": "open")';
    case 'noDataS':
      return ' (seconds of silence, e.g. "noDataS": 900)';
    case 'condition':
      return ` (one of ${CONDITIONS.join(', ')})`;
    default:
      return '';
  }
}

function allowedFields(field: string): string {
  const props = field.startsWith('escalate') ? RULES_SCHEMA.items.properties.escalate.items.properties : RULES_SCHEMA.items.properties;
  return Object.keys(props).join(', ');
}

function semanticProblems(r: AlertRule): string[] {
  const out: string[] = [];
  const takes = CONDITION_FIELDS[r.condition];
  for (const f of SPECIFIC_FIELDS) {
    if (r[f] !== undefined && !takes.includes(f)) {
      out.push(`${f} does not apply to condition "${r.condition}"${takes.length ? ` (it takes ${takes.join(', ')})` : ''}`);
    }
  }
  if (out.length > 0) return out;
  const clearGiven = r.clearThreshold !== undefined || r.clearMin !== undefined || r.clearMax !== undefined;
  if (clearGiven && r.deadband !== undefined) out.push('give either a deadband or clear thresholds, not both');
  const t = r.threshold;
  switch (r.condition) {
    case 'above':
      if (t !== undefined && r.clearThreshold !== undefined && r.clearThreshold > t) {
        out.push(`clearThreshold ${r.clearThreshold} must not be above threshold ${t}: an "above" alert clears when the value falls back to clearThreshold or below`);
      }
      break;
    case 'below':
      if (t !== undefined && r.clearThreshold !== undefined && r.clearThreshold < t) {
        out.push(`clearThreshold ${r.clearThreshold} must not be below threshold ${t}: a "below" alert clears when the value rises back to clearThreshold or above`);
      }
      break;
    case 'rate':
      if (t !== undefined && t <= 0) out.push(`threshold must be a positive rate per minute (the direction says rise, fall or either), not ${t}`);
      if (t !== undefined && r.clearThreshold !== undefined && (r.clearThreshold > t || r.clearThreshold < 0)) {
        out.push(`clearThreshold ${r.clearThreshold} must be from 0 to threshold ${t}`);
      }
      break;
    case 'outside':
    case 'inside': {
      const { min, max } = r;
      if (min !== undefined && max !== undefined && min >= max) out.push(`min ${min} must be below max ${max}`);
      else if (min !== undefined && max !== undefined) {
        const cmin = r.clearMin ?? (r.condition === 'outside' ? min : -Infinity);
        const cmax = r.clearMax ?? (r.condition === 'outside' ? max : Infinity);
        if (r.condition === 'outside' && (cmin < min || cmax > max || cmin > cmax)) {
          out.push(`clearMin/clearMax must lie within min–max (${min}–${max}): an "outside" alert clears once the value is back inside clearMin–clearMax`);
        }
        if (r.condition === 'inside' && ((r.clearMin !== undefined && r.clearMin > min) || (r.clearMax !== undefined && r.clearMax < max))) {
          out.push(`clearMin must be at most min and clearMax at least max: an "inside" alert clears once the value is outside clearMin–clearMax`);
        }
        if (r.condition === 'outside' && r.deadband !== undefined && r.deadband * 2 >= max - min) {
          out.push(`deadband ${r.deadband} leaves no clear band inside ${min}–${max}`);
        }
      }
      break;
    }
    case 'changed':
      if (r.forS !== undefined && r.forS > 0) out.push('forS does not apply to "changed" (a change is an instant); use forReadings for N consecutive changes');
      break;
    case 'nodata':
      for (const f of ['forS', 'forReadings', 'clearForS', 'clearForReadings', 'escalate'] as const) {
        if (r[f] !== undefined) out.push(`${f} does not apply to condition "nodata" (it raises after noDataS of silence and clears at the next reading)`);
      }
      break;
    case 'equals':
      break;
  }
  const base = severityRank(r.severity ?? 'warning');
  let prev = base;
  (r.escalate ?? []).forEach((e, i) => {
    const at = `escalate[${i + 1}]`;
    const rank = severityRank(e.severity);
    if (rank <= prev) out.push(`${at}: severity "${e.severity}" must be higher than ${i === 0 ? `the rule's ("${r.severity ?? 'warning'}")` : 'the previous escalation'}`);
    prev = rank;
    const numeric = r.condition === 'above' || r.condition === 'below' || r.condition === 'rate';
    const ranged = r.condition === 'outside' || r.condition === 'inside';
    if (e.threshold !== undefined && !numeric) out.push(`${at}: threshold does not apply to condition "${r.condition}"`);
    if ((e.min !== undefined || e.max !== undefined) && !ranged) out.push(`${at}: min/max do not apply to condition "${r.condition}"`);
    if (e.threshold !== undefined && t !== undefined) {
      if ((r.condition === 'above' || r.condition === 'rate') && e.threshold < t) out.push(`${at}: threshold ${e.threshold} must not be below the rule's ${t}`);
      if (r.condition === 'below' && e.threshold > t) out.push(`${at}: threshold ${e.threshold} must not be above the rule's ${t}`);
    }
    if (e.forS !== undefined && e.forS > 0 && r.condition === 'changed') out.push(`${at}: forS does not apply to "changed"; use forReadings`);
    const stricter = e.threshold !== undefined || e.min !== undefined || e.max !== undefined || e.forS !== undefined || e.forReadings !== undefined;
    if (!stricter) out.push(`${at}: give a stricter limit (threshold, min/max) or a longer duration (forS, forReadings) for "${e.severity}"`);
  });
  for (const [f, text] of [
    ['message', r.message],
    ['noDataMessage', r.noDataMessage],
  ] as const) {
    if (text === undefined) continue;
    for (const m of text.matchAll(PLACEHOLDER)) {
      if (!TEMPLATE_FIELD_SET.has(m[1])) out.push(`${f} uses unknown field {${m[1]}} (known: ${TEMPLATE_FIELDS.join(', ')})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compiled form

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

type TemplatePart = string | { field: TemplateField };

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

function compileTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    if (TEMPLATE_FIELD_SET.has(m[1])) parts.push({ field: m[1] as TemplateField });
    else parts.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function renderTemplate(parts: readonly TemplatePart[], fields: Partial<Record<TemplateField, unknown>>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = fields[p.field];
      out += v === undefined || v === null ? '' : typeof v === 'number' ? formatNumber(v) : String(v);
    }
  }
  return out;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

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

interface SiteLevel {
  exact: Map<string, CompiledRule[]>;
  wild: CompiledRule[];
}
interface DeviceLevel {
  exact: Map<string, SiteLevel>;
  /** Device globs by their literal prefix (`nevera-*` under `nevera-`), so a name meets only the globs it can match. */
  prefixed: Map<string, SiteLevel>;
  /** The distinct prefix lengths in `prefixed`: a name is looked up once per length. */
  prefixLengths: number[];
  wild: SiteLevel;
}

const newSiteLevel = (): SiteLevel => ({ exact: new Map(), wild: [] });
const newDeviceLevel = (): DeviceLevel => ({ exact: new Map(), prefixed: new Map(), prefixLengths: [], wild: newSiteLevel() });

/**
 * Rules bucketed by their exact attribute, then exact device (or a device glob's literal prefix),
 * then exact site; a rule whose selector at a level is `*` (or a glob without a prefix) sits in
 * that level's wildcard bucket. A series looks up a handful of buckets, so with 10k per-device
 * rules it meets only the few that name its device or leave it open; room, kind and the globs
 * themselves are checked on those candidates alone. The engine does this once per series (and
 * again when the rules change), then keeps the series' rules with it.
 */
export class RuleIndex {
  private readonly byAttribute = new Map<string, DeviceLevel>();
  private readonly anyAttribute = newDeviceLevel();
  readonly size: number;
  /** Some rule selects by device kind: callers then look the kind up (otherwise they need not). */
  readonly usesKind: boolean;

  constructor(readonly rules: readonly CompiledRule[]) {
    for (const r of rules) this.add(r);
    this.size = rules.length;
    this.usesKind = rules.some((r) => r.kind !== undefined);
  }

  private add(r: CompiledRule): void {
    let dl: DeviceLevel;
    if (r.attribute.kind === 'exact') {
      dl = this.byAttribute.get(r.attribute.value) ?? newDeviceLevel();
      this.byAttribute.set(r.attribute.value, dl);
    } else dl = this.anyAttribute;
    let sl: SiteLevel;
    if (r.device.kind === 'exact') {
      sl = dl.exact.get(r.device.value) ?? newSiteLevel();
      dl.exact.set(r.device.value, sl);
    } else if (r.device.kind === 'glob' && r.device.prefix !== '') {
      const prefix = r.device.prefix;
      sl = dl.prefixed.get(prefix) ?? newSiteLevel();
      dl.prefixed.set(prefix, sl);
      if (!dl.prefixLengths.includes(prefix.length)) dl.prefixLengths.push(prefix.length);
    } else sl = dl.wild;
    if (r.site.kind === 'exact') {
      const list = sl.exact.get(r.site.value) ?? [];
      list.push(r);
      sl.exact.set(r.site.value, list);
    } else sl.wild.push(r);
  }

  /** The rules that match the series, in rule order, appended to `out`. */
  candidates(s: SeriesIdentity, kind: string | undefined, out: CompiledRule[] = []): CompiledRule[] {
    const start = out.length;
    this.fromDeviceLevel(this.byAttribute.get(s.attribute), s, kind, out);
    this.fromDeviceLevel(this.anyAttribute, s, kind, out);
    if (out.length - start > 1) {
      const found = out.splice(start).sort((a, b) => a.index - b.index);
      for (let i = 0; i < found.length; i++) if (i === 0 || found[i] !== found[i - 1]) out.push(found[i]);
    }
    return out;
  }

  private fromDeviceLevel(dl: DeviceLevel | undefined, s: SeriesIdentity, kind: string | undefined, out: CompiledRule[]): void {
    if (!dl) return;
    this.fromSiteLevel(dl.exact.get(s.device), s, kind, out);
    if (s.deviceId !== s.device) this.fromSiteLevel(dl.exact.get(s.deviceId), s, kind, out);
    for (const n of dl.prefixLengths) {
      if (n <= s.device.length) this.fromSiteLevel(dl.prefixed.get(s.device.slice(0, n)), s, kind, out);
      if (s.deviceId !== s.device && n <= s.deviceId.length) this.fromSiteLevel(dl.prefixed.get(s.deviceId.slice(0, n)), s, kind, out);
    }
    this.fromSiteLevel(dl.wild, s, kind, out);
  }

  private fromSiteLevel(sl: SiteLevel | undefined, s: SeriesIdentity, kind: string | undefined, out: CompiledRule[]): void {
    if (!sl) return;
    const exact = sl.exact.get(s.site);
    if (exact) for (const r of exact) if (ruleMatches(r, s, kind)) out.push(r);
    for (const r of sl.wild) if (ruleMatches(r, s, kind)) out.push(r);
  }
}
