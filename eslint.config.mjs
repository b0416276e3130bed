import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // `const node = this` is the Node-RED idiom: handlers registered later need the node.
    files: ['nodes/**/*.ts'],
    rules: { '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }] },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs', 'docker/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The dashboard's browser code: ES modules served as they are, type-checked by tsconfig.browser.json.
    files: ['nodes/octopus-dashboard/public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module', ecmaVersion: 2022 },
    rules: {
      'no-var': 'error',
      'prefer-const': 'error',
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The parse node's editor panel: a classic script in Node-RED's editor, beside its jQuery.
    files: ['nodes/octopus-parse/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.jquery }, sourceType: 'script' },
  },
);
