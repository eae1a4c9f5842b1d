// ESLint flat config: typescript-eslint's recommended rules everywhere, and rules that need the
// type checker over src/, test/ and the page's source (ui/src, typed by ui/tsconfig.json). Layer
// rules (which folder may import which) are checked by dependency-cruiser (.dependency-cruiser.cjs);
// `npm run lint` runs both.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The files the type-aware rules read through tsconfig.json. */
export const TYPE_CHECKED_FILES = ['src/**/*.ts', 'test/**/*.ts', 'ui/src/**/*.{ts,tsx}'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'auditline-data/', 'bench/corpus/', 'bench/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Destructuring to drop a field (`{ secret: _omit, ...rest }`) is how we keep values out of outputs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // The non-null assertion is used after explicit bounds checks on hot paths where a branch would cost.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Plain JavaScript here runs on Node (configs, worker stubs in tests): its globals are defined.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tool configurations that must be CommonJS (dependency-cruiser reads .dependency-cruiser.cjs with require).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // The analysts' page renders every value as text: markup from a hostile log line must never become DOM.
    files: ['ui/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'render values as text, never as markup' },
        { selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]', message: 'render values as text, never as markup' },
        { selector: 'CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]', message: 'render values as text, never as markup' },
      ],
    },
  },
  {
    files: TYPE_CHECKED_FILES,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection: a failed write or flush would pass silently.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a void one is expected (event handlers, forEach) runs unawaited the same way.
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
