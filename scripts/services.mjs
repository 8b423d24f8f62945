#!/usr/bin/env node
// `npm run services`: the collector, aggregator, invoicing service and API in the foreground,
// each line of their (JSON) logs prefixed with the service's name. Ctrl-C (or SIGTERM) stops
// all four gracefully; if one of them dies, the others are stopped and this exits non-zero.
//
//   node scripts/services.mjs [collector aggregator ...]   (default: all four; needs `npm run build`)

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['collector', 'aggregator', 'invoicing', 'api'];
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
for (const n of names) {
  if (!ALL.includes(n)) {
    console.error(`unknown service '${n}'; one of ${ALL.join(', ')}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'apps', n, 'src', 'main.js'))) {
    console.error(`dist/apps/${n} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}

const width = Math.max(...names.map((n) => n.length));
const children = new Map();
let stopping = false;
let exitCode = 0;

for (const name of names) {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', path.join(root, 'dist', 'apps', name, 'src', 'main.js')],
    {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.set(name, child);
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => console.log(`${name.padEnd(width)} | ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the others`);
      exitCode = 1;
      stopAll();
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

function stopAll() {
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  // A service that does not finish in time is killed; nothing it accepted is lost (see README).
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 15000).unref();
}

process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
