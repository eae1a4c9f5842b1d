import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.js';

const ROOT = join(import.meta.dirname, '../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

/**
 * A small src/ tree: each file is named for what it shows. Only the `bad-*` and cycle files break a
 * rule; the `ok-*` files follow the intended direction, so a rule that refused everything fails too.
 */
const FIXTURE: Record<string, string> = {
  'src/errors.ts': 'export const E = 1;\n',
  'src/model/ok-event.ts': 'export const EVENT = 1;\n',
  'src/model/bad-up-to-run.ts': "import { RUN } from '../run/ok-engine.js';\nexport const M = RUN;\n",
  'src/config/bad-to-transforms.ts': "import { T } from '../transforms/ok-classify.js';\nexport const C = T;\n",
  'src/sources/ok-lines.ts': "import { EVENT } from '../model/ok-event.js';\nexport const LINES = EVENT;\n",
  'src/transforms/ok-classify.ts': "import type { EVENT } from '../model/ok-event.js';\nexport const T: typeof EVENT = 1;\n",
  'src/formats/ok-format.ts': "import { T } from '../transforms/ok-classify.js';\nexport const F = T;\n",
  'src/formats/bad-to-sources.ts': "import type { LINES } from '../sources/ok-lines.js';\nexport const G: typeof LINES = 1;\n",
  'src/formats/cycle-a.ts': "import { B } from './cycle-b.js';\nexport const A = () => B;\n",
  'src/formats/cycle-b.ts': "import { A } from './cycle-a.js';\nexport const B = () => A;\n",
  'src/run/ok-engine.ts': "import { F } from '../formats/ok-format.js';\nimport { LINES } from '../sources/ok-lines.js';\nexport const RUN = F + LINES;\n",
  'src/gadgets/bad-unplaced.ts': "import { E } from '../errors.js';\nexport const X = E;\n",
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
};

/** Runs the layer check as `npm run lint` does; returns its exit code and its `<rule>: <from> → <to>` errors. */
async function cruise(dir: string): Promise<{ exitCode: number; errors: string[] }> {
  const args = ['src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'];
  const run = promisify(execFile)(DEPCRUISE, args, { cwd: dir }).then(
    ({ stdout }) => ({ exitCode: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ exitCode: e.code, stdout: e.stdout }),
  );
  const { exitCode, stdout } = await run;
  // A cycle's line ends at its first module (its members follow on lines of their own).
  const errors = stdout.split('\n').flatMap((line) => /^\s*error (.+?)( →)?\s*$/.exec(line)?.[1] ?? []);
  return { exitCode, errors };
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('refuse imports up or across the layers, cycles and unplaced folders, and nothing else', async () => {
    const dir = tempDir();
    for (const [file, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const { exitCode, errors } = await cruise(dir);
    expect(errors.sort()).toEqual(
      [
        'layer-model: src/model/bad-up-to-run.ts → src/run/ok-engine.ts',
        'layer-config: src/config/bad-to-transforms.ts → src/transforms/ok-classify.ts',
        'layer-formats: src/formats/bad-to-sources.ts → src/sources/ok-lines.ts',
        'layer-unplaced: src/gadgets/bad-unplaced.ts → src/errors.ts',
        'no-circular: src/formats/cycle-a.ts',
      ].sort(),
    );
    expect(exitCode).not.toBe(0);
  }, 20_000);
});
