import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.js';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Lints files with the project's own eslint.config.js and tsconfig.json, copied beside the files
 * into a temporary folder: the type checker only sees files on disk, and the shared tree stays untouched.
 */
async function rulesHit(files: Record<string, string>): Promise<Record<string, string[]>> {
  const dir = tempDir();
  for (const name of ['eslint.config.js', 'tsconfig.json']) copyFileSync(join(ROOT, name), join(dir, name));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const results = await new ESLint({ cwd: dir }).lintFiles(Object.keys(files));
  return Object.fromEntries(results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`)]));
}

const WRITE = 'export async function write(): Promise<void> {}\n';

describe('type-checked lint rules (eslint.config.js)', () => {
  it('refuse a promise nobody awaits and an async callback where a void one is expected, in src/ and test/; accept them awaited or let go with void', async () => {
    const hits = await rulesHit({
      'src/floating.ts': `${WRITE}write();\n`,
      'test/floating.test.ts': `import { write } from '../src/floating.js';\nwrite();\n`,
      'src/misused.ts': `${WRITE}[1, 2].forEach(async () => {\n  await write();\n});\n`,
      'src/awaited.ts': `${WRITE}await write();\nvoid write();\nfor (const _ of [1, 2]) await write();\n`,
    });
    expect(hits).toEqual({
      'src/floating.ts': ['@typescript-eslint/no-floating-promises'],
      'test/floating.test.ts': ['@typescript-eslint/no-floating-promises'],
      'src/misused.ts': ['@typescript-eslint/no-misused-promises'],
      'src/awaited.ts': [],
    });
  }, 20_000);
});
