// ESLint for `npm run lint` (run first by `npm test`): typescript-eslint's
// recommended rules (syntax-only, so the whole tree lints in seconds), plus
// the rules that keep protocol and the simulator free of wall time and of
// unseeded randomness (docs/architecture.md §Layers): they take a Clock and
// a random source instead. Formatting is Prettier's (.prettierrc.json).

import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'docs/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (a parameter kept for its position).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['protocol/**/*.ts', 'simulator/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'protocol and simulator take time from an injected Clock, never Date.now()' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'protocol and simulator take time from an injected Clock, never new Date()' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'use a seeded or cryptographic random source, never Math.random()' },
      ],
    },
  },
);
