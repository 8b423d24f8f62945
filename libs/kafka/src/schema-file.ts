import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Reads a file of the repository's schemas/ folder, from the sources or from the build output. */
export function readSchemaFile(name: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'schemas', name);
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    if (dirname(dir) === dir) throw new Error(`schemas/${name} not found above ${__dirname}`);
  }
}
