// ESLint flat config: typescript-eslint's recommended rules over src/ and test/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'auditline-data/', 'bench/corpus/'] },
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
);
