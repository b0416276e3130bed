/**
 * Alert message templates: the placeholders a rule's message may use, compiled once into parts
 * and rendered per alert. Pure: no Node-RED, no database.
 */

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
export const TEMPLATE_FIELD_SET = new Set<string>(TEMPLATE_FIELDS);
export const PLACEHOLDER = /\{([^{}]*)\}/g;

export type TemplatePart = string | { field: TemplateField };

export function compileTemplate(text: string): TemplatePart[] {
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
