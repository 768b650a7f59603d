// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
      // The layers of style.md: db at the bottom, domain above it, api and admin on top.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/db',
              from: ['./src/api', './src/domain', './src/remote', './src/auth', './src/admin'],
              message: 'db is the bottom layer',
            },
            {
              target: './src/domain',
              from: ['./src/api', './src/admin', './src/remote'],
              message: 'domain knows nothing about HTTP',
            },
            {
              target: './src/api',
              from: ['./src/db', './src/remote', './src/admin'],
              message: 'handlers reach data through domain',
            },
            { target: './src/auth', from: ['./src/api', './src/admin', './src/domain', './src/db'] },
            {
              target: './migrations',
              from: './src',
              message: 'migrations are frozen in time; they must not depend on app code',
            },
            { target: './src', from: './test' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
);
