import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/config/load-pipeline.js';
import { compilePipeline, loadPipelines } from '../../../src/transforms/classify/compile-pipeline.js';
import { minimal } from '../../config/minimal-pipeline.js';

describe('compiling pipelines', () => {
  it('rejects two routes for the same method and path when compiling', () => {
    const dup = minimal.replace(
      '      GET /things/:id: demo.things.read',
      '      GET /things/:id: demo.things.read\n      GET|HEAD /things/:id: demo.things.head',
    );
    expect(() => compilePipeline(parsePipeline(dup, 'demo.yaml'))).toThrow(/declared twice/);
  });

  it('loads and compiles every bundled pipeline', () => {
    const names = loadPipelines().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['key-protect', 'secrets-manager']));
  });
});
