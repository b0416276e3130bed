import assert from 'node:assert/strict';
import { checkRules, RULES_SCHEMA, type AlertRule, type Escalation } from '../lib/alerts/rules';

/**
 * AlertRule and Escalation are derived from RULES_SCHEMA (json-schema-to-ts). The expect-error
 * lines below are the compile-time half of this test: if the types stopped following the schema
 * (a hand-written type again, or a field typed loosely), `tsc` fails on an unused expect-error.
 */
describe('alert rule types derived from the schema', () => {
  it('accepts what the schema accepts and the compiler refuses what the schema refuses', () => {
    const ok: AlertRule = { id: 'cold', condition: 'below', threshold: 5, escalate: [{ severity: 'critical', threshold: 2 }] };
    assert.deepEqual(checkRules([ok]), { ok: true, rules: [ok] });

    // @ts-expect-error: not one of the schema's conditions
    const badCondition: AlertRule = { id: 'x', condition: 'nope' };
    // @ts-expect-error: threshold is a number in the schema
    const badThreshold: AlertRule = { id: 'x', condition: 'above', threshold: 'hot' };
    // @ts-expect-error: not one of the schema's severities
    const badSeverity: Escalation = { severity: 'meh' };
    // @ts-expect-error: additionalProperties is false in the schema
    const unknownField: AlertRule = { id: 'x', condition: 'changed', colour: 'red' };

    for (const rule of [badCondition, badThreshold, { id: 'x', condition: 'above', threshold: 1, escalate: [badSeverity] }, unknownField]) {
      assert.equal(checkRules([rule]).ok, false, JSON.stringify(rule));
    }
  });

  it('every property of the type is a property of the schema', () => {
    const keys: (keyof AlertRule)[] = ['id', 'name', 'enabled', 'site', 'room', 'device', 'attribute', 'kind', 'condition', 'threshold', 'min', 'max', 'value', 'windowS', 'direction', 'clearThreshold', 'clearMin', 'clearMax', 'deadband', 'forS', 'forReadings', 'clearForS', 'clearForReadings', 'severity', 'escalate', 'message', 'noDataS', 'noDataMessage', 'repeatS'];
    assert.deepEqual([...keys].sort(), Object.keys(RULES_SCHEMA.items.properties).sort());
  });
});
