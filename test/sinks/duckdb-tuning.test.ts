import { describe, expect, it } from 'vitest';
import { megabytesOf } from '../../src/sinks/duckdb/tuning.js';

describe('DuckDB memory sizes', () => {
  it('reads decimal and binary units as DuckDB does, in its megabytes', () => {
    expect(megabytesOf('32MB')).toBe(32);
    expect(megabytesOf('64 mb')).toBe(64);
    expect(megabytesOf('1GB')).toBe(1000);
    expect(megabytesOf('1.5GB')).toBe(1500);
    expect(megabytesOf('512KB')).toBe(0.512);
    expect(megabytesOf('1GiB')).toBeCloseTo(1073.741824, 6);
    expect(megabytesOf('64MiB')).toBeCloseTo(67.108864, 6);
  });

  it('refuses a size without a unit or with an unknown one', () => {
    for (const bad of ['64', 'MB', '64XB', '-1MB', '']) expect(() => megabytesOf(bad)).toThrow(/not a DuckDB memory size/);
  });
});
