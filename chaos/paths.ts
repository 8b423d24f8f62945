import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository's root, found from this module whether it runs from source (jest) or from dist/. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'stack', 'pom.xml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`the repository root (with stack/pom.xml) is not above ${__dirname}`);
  }
}
