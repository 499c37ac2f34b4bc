// Lint: typescript-eslint with type information, so that the promise rules see what is a promise.
// no-floating-promises and no-misused-promises would have caught the async listener that took the
// server down: a rejected promise nobody handles.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import promise from 'eslint-plugin-promise';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  promise.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: {
        // The loose scripts outside every tsconfig: ten files, past the default limit of eight.
        projectService: {
          allowDefaultProject: ['*.js', 'scripts/*.mjs', 'bin/*.js', 'bench/fixtures/*.mjs'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 12,
        },
        tsconfigRootDir: import.meta.dirname,
      },
      // Node's globals, for the plain JavaScript scripts (TypeScript files get them from @types/node).
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', URL: 'readonly' },
    },
    rules: {
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Unused names beginning with _ are deliberate (destructuring to drop a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // `new Promise` executors and always-return chains are how the audio code waits on events.
      'promise/always-return': 'off',
      // `.then(onFulfilled, onRejected)` handles the rejection as well as `.catch` does.
      'promise/catch-or-return': ['error', { allowThen: true }],
      'promise/param-names': 'off',
    },
  },
  // Engines written as a user would, in plain JavaScript from docs/speech.md: linted without type
  // information (the project's type service takes only a few loose files).
  {
    files: ['test/fixtures/speech-engines/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false } },
  },
);
