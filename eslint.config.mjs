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
    files: ['nodes/**/public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
