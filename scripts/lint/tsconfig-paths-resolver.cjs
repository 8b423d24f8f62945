'use strict';
// An import resolver (eslint-module-utils' interface 2, which eslint-plugin-boundaries calls)
// that knows tsconfig.json's path aliases (@metering/<lib> -> libs/<lib>/src) and .ts files, so
// the boundaries rules see '@metering/billing' and '../../billing/src/x' as the same element.
// eslint-import-resolver-typescript does this too; it is not installed, and the project's
// aliases are exact names without wildcards, which is all this reads.
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules, createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
const BASE = path.resolve(ROOT, compilerOptions.baseUrl ?? '.');
const ALIASES = Object.entries(compilerOptions.paths ?? {}).map(([alias, [target]]) => [
  alias,
  path.join(BASE, target),
]);
const BUILTINS = new Set(builtinModules);
const SUFFIXES = ['', '.ts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.js'];

function isFile(candidate) {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

function probe(base) {
  const found = SUFFIXES.map((suffix) => base + suffix).find(isFile);
  return found === undefined ? { found: false } : { found: true, path: found };
}

exports.interfaceVersion = 2;

exports.resolve = function resolve(source, file) {
  if (source.startsWith('node:') || BUILTINS.has(source)) return { found: true, path: null };
  for (const [alias, target] of ALIASES) {
    if (source === alias || source.startsWith(`${alias}/`)) return probe(target + source.slice(alias.length));
  }
  if (source.startsWith('.') || path.isAbsolute(source)) return probe(path.resolve(path.dirname(file), source));
  try {
    return { found: true, path: createRequire(file).resolve(source) };
  } catch {
    return { found: false };
  }
};
