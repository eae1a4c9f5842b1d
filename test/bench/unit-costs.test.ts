import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureUnitCosts } from '../../bench/unit-costs.js';
import { writeCorpus } from '../../bench/write-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'auditline-unit-costs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench unit costs', () => {
  it('times every step over the same classified lines of a generated corpus', async () => {
    const corpus = join(dir, 'corpus.ndjson');
    await writeCorpus(corpus, 400);
    const u = await measureUnitCosts(corpus, 400);
    // The generator mixes in malformed and unknown lines; those are left out, the rest kept.
    expect(u.lines).toBeGreaterThan(300);
    expect(u.lines).toBeLessThan(400);
    expect(Object.keys(u.usPerLine).sort()).toEqual(
      [
        'build',
        'classify',
        'fingerprints',
        'lineId',
        'parse',
        'redactEvent',
        'redactRecord',
        'stringifyEvent',
        'stringifyRecord',
        'toStored',
        'validate',
      ].sort(),
    );
    for (const us of Object.values(u.usPerLine)) expect(us).toBeGreaterThan(0);
    // The corpus carries bearer tokens and secret payloads: the redactor ran HMACs, which the bench replays.
    expect(u.fingerprintsPerLine).toBeGreaterThan(0.5);
    // Only the fingerprints that reach an output are computed: the headers' tokens never do.
    expect(u.fingerprintsComputedPerLine).toBeLessThan(u.fingerprintsPerLine / 10);
    expect(u.wholeTransformUsPerLine).toBeGreaterThan(0);
    expect(u.sumOfStepsUsPerLine).toBeGreaterThan(u.usPerLine.parse!);
    expect(u.mandatoryBeyondFloorUsPerLine).toBeCloseTo(
      u.usPerLine.lineId! +
        (u.usPerLine.fingerprints! * u.fingerprintsComputedPerLine) / u.fingerprintsPerLine +
        u.usPerLine.stringifyEvent! -
        u.usPerLine.stringifyRecord!,
      6,
    );
  });
});
