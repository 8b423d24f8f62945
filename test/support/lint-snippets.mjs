// Lints snippets as if they were files of the tree, with the project's eslint.config.mjs:
// reads [{ filePath, code }] (paths relative to the repo) as JSON on stdin, writes one list of
// { ruleId, message } per snippet as JSON on stdout. A process of its own because ESLint loads
// its flat config with import(), which jest's module sandbox refuses.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const snippets = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const { filePath, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  results.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
process.stdout.write(JSON.stringify(results));
