#!/usr/bin/env node
// Applies migrations/ to one database: `node scripts/migrate.mjs [<DATABASE_OWNER_URL>]`,
// creating the database first if it is missing. The URL is the owner's (the services' role may
// neither create a database nor alter the schema); without one, the environment's owner URL as
// `npm run stack` reads it (DATABASE_OWNER_URL, see scripts/stack-lib.mjs). Tests and
// benchmarks use it for their own databases.
import { ensureDatabase, migrate, ownerDatabaseUrl } from './stack-lib.mjs';

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.error('usage: node scripts/migrate.mjs [<DATABASE_OWNER_URL>]');
  process.exit(2);
}
const url = process.argv[2] ?? ownerDatabaseUrl();
try {
  await ensureDatabase(url);
  await migrate(url);
} catch (e) {
  console.error(e.output ?? e.message ?? e);
  process.exit(1);
}
