#!/usr/bin/env node
// Applies migrations/ to one database: `node scripts/migrate.mjs <DATABASE_URL>`, creating
// the database first if it is missing. What `npm run stack` does for DATABASE_URL; tests and
// benchmarks use it for their own databases.
import { ensureDatabase, migrate } from './stack-lib.mjs';

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('usage: node scripts/migrate.mjs <DATABASE_URL>');
  process.exit(2);
}
try {
  await ensureDatabase(url);
  await migrate(url);
} catch (e) {
  console.error(e.output ?? e.message ?? e);
  process.exit(1);
}
