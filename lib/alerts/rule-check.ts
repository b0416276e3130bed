import Ajv, { type ErrorObject } from 'ajv';
import { CONDITIONS, MAX_RULES, RULES_SCHEMA, severityRank, type AlertRule, type ConditionKind } from './rule-schema';
import { PLACEHOLDER, TEMPLATE_FIELDS, TEMPLATE_FIELD_SET } from './rule-template';

/**
 * Checks an alert rule list: the JSON Schema first, then the cross-field mistakes a schema cannot
 * express, answered as sentences an operator can act on. Pure: no Node-RED, no database.
 */

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

