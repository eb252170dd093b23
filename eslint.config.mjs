// ESLint flat config: the rules from CONVENTIONS.md. `make lint` runs it with --max-warnings 0.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.local/**',
      'coverage/**',
      'libs/contracts/src/gen/**',
      'services/trainer/**',
      'reports/**',
      'k8s/**',
      'deploy/**',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      // An un-awaited promise in a consumer commits offsets for work that never finished.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
      // Workspace packages are used through their public entry point only.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@offerstream/*/*'],
              message: 'Import a workspace package by its public entry point (@offerstream/x).',
            },
            {
              group: ['../../libs/*', '../../../libs/*'],
              message: 'Import libs through @offerstream/x, not by path.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only repositories and adapters talk to the outside world; domain code gets them injected.
    files: ['services/*/src/**/*.ts'],
    ignores: [
      'services/*/src/**/*.repository.ts',
      'services/*/src/**/*.adapter.ts',
      'services/*/src/main.ts',
      'services/*/src/**/*.spec.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message:
                'Use a *.repository.ts or *.adapter.ts (or @offerstream/kafka) for Kafka access.',
            },
            { name: '@clickhouse/client', message: 'Use a *.repository.ts for ClickHouse access.' },
            {
              name: 'onnxruntime-node',
              message: 'Use a *.repository.ts or *.adapter.ts for ONNX sessions.',
            },
          ],
          patterns: [
            {
              group: ['@offerstream/*/*'],
              message: 'Import a workspace package by its public entry point (@offerstream/x).',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      'test/**/*.ts',
      'services/*/test/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
