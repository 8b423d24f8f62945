/**
 * The layering rules of eslint.config.mjs (README, "Lint") run by the real ESLint on small
 * snippets placed in the tree, so a rule that stops matching (a renamed element, a resolver that
 * no longer follows the path aliases) fails here instead of letting every import through.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

type Snippet = { name: string; filePath: string; code: string; fails: boolean };

const snippets: Snippet[] = [
  {
    name: 'libs/billing importing pg',
    filePath: 'libs/billing/src/snippet.ts',
    code: "import { Pool } from 'pg';\nexport const p = Pool;\n",
    fails: true,
  },
  {
    name: 'libs/billing importing a type from pg',
    filePath: 'libs/billing/src/snippet.ts',
    code: "import type { PoolClient } from 'pg';\nexport type C = PoolClient;\n",
    fails: true,
  },
  {
    name: 'libs/metering importing @nestjs/common',
    filePath: 'libs/metering/src/snippet.ts',
    code: "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;\n",
    fails: true,
  },
  {
    name: 'libs/catalog importing node:fs',
    filePath: 'libs/catalog/src/snippet.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    fails: true,
  },
  {
    name: 'libs/domain importing node:net',
    filePath: 'libs/domain/src/snippet.ts',
    code: "import { connect } from 'node:net';\nexport const c = connect;\n",
    fails: true,
  },
  {
    name: 'libs/fleet importing kafkajs',
    filePath: 'libs/fleet/src/snippet.ts',
    code: "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n",
    fails: true,
  },
  {
    name: 'libs/domain importing libs/catalog (outward)',
    filePath: 'libs/domain/src/snippet.ts',
    code: "import * as catalog from '@metering/catalog';\nexport const c = catalog;\n",
    fails: true,
  },
  {
    name: 'libs/billing importing libs/metering (a sibling)',
    filePath: 'libs/billing/src/snippet.ts',
    code: "import * as fold from '../../metering/src';\nexport const f = fold;\n",
    fails: true,
  },
  {
    name: 'libs/catalog importing libs/db',
    filePath: 'libs/catalog/src/snippet.ts',
    code: "import * as db from '@metering/db';\nexport const d = db;\n",
    fails: true,
  },
  {
    name: 'apps/api importing apps/collector',
    filePath: 'apps/api/src/snippet.ts',
    code: "import * as app from '../../collector/src/app';\nexport const a = app;\n",
    fails: true,
  },
  {
    name: 'libs/db importing apps/api',
    filePath: 'libs/db/src/snippet.ts',
    code: "import * as app from '../../../apps/api/src/app';\nexport const a = app;\n",
    fails: true,
  },
  {
    name: 'libs/kafka importing the test support outside a spec',
    filePath: 'libs/kafka/src/snippet.ts',
    code: "import * as kafka from '../../../test/support/kafka';\nexport const k = kafka;\n",
    fails: true,
  },
  {
    name: 'libs/billing importing @metering/domain',
    filePath: 'libs/billing/src/snippet.ts',
    code: "import * as domain from '@metering/domain';\nexport const d = domain;\n",
    fails: false,
  },
  {
    name: 'libs/billing importing libs/catalog and node:crypto',
    filePath: 'libs/billing/src/snippet.ts',
    code: "import * as catalog from '@metering/catalog';\nimport { createHash } from 'node:crypto';\nexport const c = [catalog, createHash];\n",
    fails: false,
  },
  {
    name: 'libs/db importing pg and libs/billing',
    filePath: 'libs/db/src/snippet.ts',
    code: "import { Pool } from 'pg';\nimport * as billing from '@metering/billing';\nexport const p = [Pool, billing];\n",
    fails: false,
  },
  {
    name: 'apps/api importing its own files and libs',
    filePath: 'apps/api/src/snippet.ts',
    code: "import * as app from './app';\nimport * as db from '@metering/db';\nexport const a = [app, db];\n",
    fails: false,
  },
  {
    name: 'a lib spec importing the test support',
    filePath: 'libs/db/src/snippet.int.spec.ts',
    code: "import * as database from '../../../test/support/database';\nexport const d = database;\n",
    fails: false,
  },
  {
    name: 'test support importing apps',
    filePath: 'test/support/snippet.ts',
    code: "import * as app from '../../apps/collector/src/app';\nexport const a = app;\n",
    fails: false,
  },
];

type Message = { ruleId: string | null; message: string };

// One ESLint process for every snippet (see lint-snippets.mjs for why a process).
const results = JSON.parse(
  execFileSync(process.execPath, [join(__dirname, 'support', 'lint-snippets.mjs')], {
    input: JSON.stringify(snippets.map(({ filePath, code }) => ({ filePath, code }))),
    encoding: 'utf8',
  }),
) as Message[][];

describe.each(snippets.map((s, i) => ({ ...s, messages: results[i]! })))('$name', ({ fails, messages }) => {
  const boundaries = messages.filter((m) => m.ruleId === 'boundaries/dependencies');

  it(fails ? 'fails the boundaries rule' : 'passes the boundaries rule', () => {
    expect(boundaries.length > 0).toBe(fails);
  });

  it('has no other lint error', () => {
    expect(messages.filter((m) => m.ruleId !== 'boundaries/dependencies')).toEqual([]);
  });
});
