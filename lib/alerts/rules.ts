/**
 * The alert rule module's public face: a rule's schema and types (rule-schema.ts), its validation
 * (rule-check.ts), message templates (rule-template.ts), compiled form (rule-compile.ts) and the
 * index that hands a reading only the rules that can match it (rule-index.ts).
 */
export * from './rule-schema';
export * from './rule-check';
export { TEMPLATE_FIELDS, renderTemplate, type TemplateField } from './rule-template';
export * from './rule-compile';
export * from './rule-index';
