// `npm run lint` (and so `npm test`): typescript-eslint's recommended rules, and the layering of
// the design (README, "Lint") as boundaries rules, so an import that crosses a layer the wrong
// way fails CI instead of waiting for a reviewer.
//
// Not type-aware: the recommended rules need no type information, and a type-checked lint
// would compile the tree a second time (`npm test` already runs `tsc --noEmit`).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const RESOLVER = fileURLToPath(new URL('./scripts/lint/tsconfig-paths-resolver.cjs', import.meta.url));

// The libs without I/O: the vocabulary, the catalog, the fold, the pricing, the simulated fleet.
const PURE = ['domain', 'catalog', 'metering', 'billing', 'fleet'];
// What a pure lib may not reach for, directly or for its types: a framework, a driver, the
// network or the file system. (The catalog's data comes in as an imported JSON module.)
const IO_PACKAGES = ['@nestjs/*', 'pg', 'pg-*', 'kafkajs', 'kafkajs/**', 'express', 'prom-client'];
const IO_CORE = [
  'net',
  'node:net',
  'fs',
  'node:fs',
  'fs/*',
  'node:fs/*',
  'http',
  'node:http',
  'child_process',
  'node:child_process',
];

const lib = (name) => ({ element: { type: name } });
const anyOf = (...types) => ({ element: { types: { anyOf: types } } });

// Which pure lib may import which (itself always): domain <- catalog <- metering, billing, fleet.
const PURE_ALLOWED = {
  domain: [],
  catalog: ['domain'],
  metering: ['domain', 'catalog'],
  billing: ['domain', 'catalog'],
  fleet: ['domain', 'catalog'],
};

export const layering = [
  // Apps never import each other (imports inside one element are not checked).
  { from: { element: { type: 'app' } }, disallow: { to: { element: { type: 'app' } } } },
  // Libs never import apps, nor the tests, scripts, benchmarks or chaos scenarios...
  {
    from: anyOf('lib', ...PURE),
    disallow: { to: anyOf('app', 'tooling') },
  },
  // ...except that a lib's own spec files may use the test support (private databases and topics).
  {
    from: { ...anyOf('lib', ...PURE), file: { categories: 'spec' } },
    allow: { to: { element: { type: 'tooling' } } },
  },
  // The pure libs: only inward to each other, and nothing with I/O.
  ...PURE.map((name) => ({
    from: lib(name),
    disallow: {
      to: [
        anyOf('lib', ...PURE.filter((other) => other !== name && !PURE_ALLOWED[name].includes(other))),
        { module: { origin: 'external', source: IO_PACKAGES } },
        { module: { origin: 'core', source: IO_CORE } },
      ],
    },
    message: `libs/${name} is pure: it may import only ${PURE_ALLOWED[name].map((n) => `libs/${n}`).join(', ') || 'itself'} of our code, and nothing from Nest, pg, kafkajs, express, prom-client, the network or the file system`,
  })),
];

// Globals for the plain JavaScript files (there is no `globals` package installed).
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'AbortController',
    'AbortSignal',
    'fetch',
    'TextDecoder',
    'TextEncoder',
    'structuredClone',
    'performance',
    'queueMicrotask',
  ].map((name) => [name, 'readonly']),
);
const COMMONJS_GLOBALS = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
};
const BROWSER_GLOBALS = Object.fromEntries(
  [
    'window',
    'document',
    'localStorage',
    'sessionStorage',
    'location',
    'history',
    'navigator',
    'fetch',
    'console',
    'URL',
    'URLSearchParams',
    'setTimeout',
    'clearTimeout',
    'requestAnimationFrame',
    'cancelAnimationFrame',
    'AbortController',
    'HTMLElement',
    'Intl',
    'Chart',
    'matchMedia',
    'getComputedStyle',
    'ResizeObserver',
    'Event',
    'CustomEvent',
    'Response',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/**', 'coverage/**', '.stack/**', 'node_modules/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are the project's way of saying "unused on purpose" (an ignored
      // element of a destructuring, a callback's unused first argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // "No `any` in domain code" (DESIGN.md): the tests, benchmarks, chaos scenarios and scripts
    // read parsed JSON answers field by field, and type them `any` on purpose.
    files: ['test/**', 'bench/**', 'chaos/**', 'scripts/**', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.cjs', 'jest.config.js', 'test/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, ...COMMONJS_GLOBALS } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['apps/api/dashboard/**/*.js'],
    languageOptions: { sourceType: 'module', globals: BROWSER_GLOBALS },
  },
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/root-path': ROOT,
      'import/resolver': { [RESOLVER]: {} },
      'boundaries/elements': [
        ...PURE.map((name) => ({ type: name, pattern: `libs/${name}` })),
        { type: 'lib', pattern: 'libs/*', capture: ['name'] },
        { type: 'app', pattern: 'apps/*', capture: ['name'] },
        { type: 'tooling', pattern: ['test', 'scripts', 'bench', 'chaos'], capture: ['name'] },
      ],
      'boundaries/files': [{ category: 'spec', pattern: '**/*.spec.ts' }],
    },
    rules: {
      // checkAllOrigins: packages and node's own modules are checked too, not only our files.
      'boundaries/dependencies': ['error', { default: 'allow', checkAllOrigins: true, policies: layering }],
    },
  },
);
