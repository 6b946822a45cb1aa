import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'src/lib/bindings.ts'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  { languageOptions: { globals: { ...globals.browser, ...globals.node } } },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    // Components reach the backend only through src/lib/api (DESIGN.md §6).
    files: ['src/**/*.svelte', 'src/**/*.ts'],
    ignores: ['src/lib/api/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@tauri-apps/api/*', '**/bindings', '**/bindings.ts'], message: 'Call the backend through src/lib/api.' }],
      }],
    },
  },
);
