// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Layers are enforced here, not by review: shared/ imports nothing of ours but itself, the renderer imports only
 * shared/ and browser packages, electron/core/ never imports Electron.
 */
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'http', 'net', 'crypto', 'url', 'events'];

const rendererImports = [
  {
    group: ['**/electron/**', 'electron'],
    message: 'The renderer reaches the host only through shared/ and the client.',
  },
  { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node modules.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { patterns: rendererImports }] },
  },
  {
    // A later block replaces the rule's options rather than adding to them, hence the renderer's list again.
    files: ['renderer/*/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...rendererImports,
            {
              group: ['**/App', '**/App.js', '**/App.tsx'],
              message: 'App composes the components, so importing it is a cycle: take Call from client/call.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/electron/**', '**/renderer/**', 'electron'],
              message: 'shared/ is the contract: it imports nothing of either side.',
            },
            { group: nodeBuiltins, message: 'shared/ runs on both sides: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/**', 'electron/worker/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron'],
              message: 'core/ and worker/ run without Electron (headless, tests): never import it.',
            },
            { group: ['**/renderer/**'], message: 'The host does not import the renderer.' },
          ],
        },
      ],
    },
  },
);
