import type { FromSchema } from 'json-schema-to-ts';

/**
 * Threshold alert rules as operators write them (editor, `msg.topic === 'rules'`, the API): the
 * JSON Schema is the one definition, and the TypeScript types are derived from it, so a field
 * added to one cannot be missing from the other. Absent selectors mean "any". Pure: no Node-RED.
 *
 * The rest of the rule module: rule-check.ts (validation and its wording), rule-template.ts
 * (message placeholders), rule-compile.ts (the engine's compiled form), rule-index.ts (which rules
 * a series can meet); rules.ts re-exports them.
 */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}

export const CONDITIONS = ['above', 'below', 'outside', 'inside', 'equals', 'changed', 'rate', 'nodata'] as const;
export type ConditionKind = (typeof CONDITIONS)[number];

export const MAX_RULES = 100_000;
const DAY_S = 86_400;

const SELECTOR = { type: 'string', minLength: 1, maxLength: 200 } as const;
const DURATION_S = { type: 'number', minimum: 0, maximum: 30 * DAY_S } as const;
const COUNT = { type: 'integer', minimum: 0, maximum: 100_000 } as const;

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


/** One rule as operators write it; derived from RULES_SCHEMA. */
export type AlertRule = FromSchema<typeof RULES_SCHEMA>[number];
/** A stricter level of the same rule: a higher severity once a further limit (or a longer duration) is reached. */
export type Escalation = NonNullable<AlertRule['escalate']>[number];
