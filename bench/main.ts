import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeCorpus } from './write-corpus.js';
import { writeEventArray } from './array-corpus.js';
import { CLI_NODE_ENV, CLI_NODE_FLAGS, DUCKDB_ALLOCATOR_ENV } from '../src/cli/node-flags.js';
import { ARRAY_STAGES, STAGES } from './stage.js';
import { runPeers, type PeerRun } from './peers.js';
import type { UnitCosts } from './unit-costs.js';

/**
 * `npm run bench [-- --lines N --only a,b]`: the performance report. Every stage runs in
 * its own process on the same generated corpus; figures are lines/s, MiB/s, peak RSS, CPU time
 * per line and the ratio to the floor measured in the same run; stages with figures of their own
 * (serve-bulk's batch latency, detect's seconds per rule) print them under the table. Also written as JSON: bench/results.json for a
 * whole run; a run of some stages (`--only`) writes bench/results-only.json, so it never replaces a whole report.
 */
interface Row {
  stage: string;
  lines: number;
  ms: number;
  linesPerSec: number;
  mibPerSec: number;
  maxRssMiB: number;
  /** CPU microseconds per line of the process doing the work (every thread) */
  cpuUsPerLine: number;
  ratioToFloor?: number;
  figures?: Record<string, number>;
}

const args = await yargs(hideBin(process.argv))
  .option('lines', { type: 'number', default: 1_000_000 })
  .option('only', { type: 'string', describe: 'comma-separated stage names' })
  .option('out', { type: 'string', describe: 'JSON report (default: bench/results.json, or bench/results-only.json with --only)' })
  .option('rounds', {
    type: 'number',
    default: 1,
    describe: "run every stage and peer this many times, taking turns; figures are medians, and the ratios to the peers medians of each round's own",
  })
  .option('array-gb', {
    type: 'number',
    default: 0,
    describe: 'also read and ingest a generated JSON array of this many GiB (peak RSS of a document larger than the heap)',
  })
  .strict()
  .parseAsync();

const corpus = `bench/corpus/corpus-${args.lines}.ndjson`;
if (!existsSync(corpus)) {
  process.stderr.write(`generating ${corpus}...\n`);
  await writeCorpus(corpus, args.lines);
}
const bytes = statSync(corpus).size;
const execFileAsync = promisify(execFile);
const stageScript = fileURLToPath(new URL('./stage.js', import.meta.url));
const arrayCorpus = `bench/corpus/array-${args['array-gb']}gb.json`;
if (args['array-gb'] > 0 && !existsSync(arrayCorpus)) {
  process.stderr.write(`generating ${arrayCorpus}...\n`);
  await writeEventArray(arrayCorpus, args['array-gb'] * 1024 ** 3);
}
/**
 * Not a stage of ours: two single-thread transforms in two processes at once, over the same corpus.
 * Nothing is shared, so their combined lines/s is what this machine's cores give two independent
 * transforms: the ceiling for transform-2-workers (V8's GC threads and the VM's cores are shared).
 */
const TWO_PROCESSES = 'transform-2-processes';
/** Names --only may give besides stages: the peers (peers.ts). */
const PEER_NAMES = new Set(['peers', 'rsyslog', 'syslog-ng', 'jq']);
const names = (args.only ? args.only.split(',').filter((n) => !PEER_NAMES.has(n)) : [...Object.keys(STAGES), TWO_PROCESSES]).filter(
  (n) => !ARRAY_STAGES.has(n) || args['array-gb'] > 0,
);
/** What stage.ts prints (see stage-result.ts). */
interface StageResult {
  lines: number;
  ms: number;
  cpuUs: number;
  maxRssMiB: number;
  readsCorpus: boolean;
  figures?: Record<string, number>;
}

async function runStage(stage: string, input: string): Promise<StageResult> {
  const { stdout } = await execFileAsync(process.execPath, [...CLI_NODE_FLAGS, stageScript, stage, input], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, ...CLI_NODE_ENV, ...DUCKDB_ALLOCATOR_ENV },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as StageResult;
}

const onlyNames = args.only?.split(',');
/**
 * Each round runs every stage, then the peers, so that a round's figures were taken close together: this
 * VM's speed drifts by up to ~30% over minutes (docs/decisions/2026-12-04-worker-count.md), which moves a
 * ratio between figures taken minutes apart by as much.
 */
const roundRows: Row[][] = [];
const peerRuns: PeerRun[] = [];
for (let round = 0; round < args.rounds; round++) {
  if (args.rounds > 1) process.stderr.write(`round ${round + 1} of ${args.rounds}\n`);
  const rows: Row[] = [];
  for (const stage of names) {
    const input = ARRAY_STAGES.has(stage) ? arrayCorpus : corpus;
    let r: StageResult;
    if (stage === TWO_PROCESSES) {
      const both = await Promise.all([runStage('transform-1-thread', input), runStage('transform-1-thread', input)]);
      // Combined: all lines over the slower one's time; both processes' memory.
      r = {
        lines: both[0]!.lines + both[1]!.lines,
        ms: Math.max(both[0]!.ms, both[1]!.ms),
        cpuUs: both[0]!.cpuUs + both[1]!.cpuUs,
        maxRssMiB: both[0]!.maxRssMiB + both[1]!.maxRssMiB,
        readsCorpus: true,
      };
    } else {
      r = await runStage(stage, input);
    }
    const inputBytes = statSync(input).size * (stage === TWO_PROCESSES ? 2 : 1);
    rows.push({
      stage,
      lines: r.lines,
      ms: r.ms,
      linesPerSec: r.lines / (r.ms / 1000),
      mibPerSec: r.readsCorpus ? inputBytes / (1 << 20) / (r.ms / 1000) : NaN,
      maxRssMiB: r.maxRssMiB,
      cpuUsPerLine: r.cpuUs / r.lines,
      ...(r.figures ? { figures: r.figures } : {}),
    });
    process.stderr.write(`  ${stage}: ${Math.round(rows.at(-1)!.linesPerSec)} lines/s\n`);
  }

  // The peers (peers.ts): rsyslog, syslog-ng and jq reshaping the same corpus. Run by default; with
  // --only, when named there (`rsyslog`, `syslog-ng`, `jq`, or `peers` for all three).
  for (const p of await runPeers(corpus, onlyNames ? (name) => onlyNames.includes(name) || onlyNames.includes('peers') : undefined)) {
    if ('skipped' in p) {
      process.stderr.write(`  peer ${p.name}: skipped, ${p.skipped}\n`);
      console.log(`peer ${p.name} skipped: ${p.skipped}`);
      continue;
    }
    peerRuns.push(p);
    rows.push({
      stage: `peer ${p.name}`,
      lines: args.lines,
      ms: p.ms,
      linesPerSec: args.lines / (p.ms / 1000),
      mibPerSec: bytes / (1 << 20) / (p.ms / 1000),
      maxRssMiB: p.maxRssMiB,
      cpuUsPerLine: p.cpuUs / args.lines,
      figures: { written: p.written, expected: p.expected },
    });
    process.stderr.write(`  peer ${p.name}: ${Math.round(rows.at(-1)!.linesPerSec)} lines/s, ${p.written} of ${p.expected} lines written\n`);
  }
  roundRows.push(rows);
}
const rows = medianRows(roundRows);

const floor = rows.find((r) => r.stage === 'floor');
for (const r of rows) if (floor) r.ratioToFloor = r.linesPerSec / floor.linesPerSec;

// Each step of the transform alone, in one process (unit-costs.ts), with the CLI's V8 flags but a heap
// that holds every step's prepared input at once (the CLI's 256 MB would not).
const unitScript = fileURLToPath(new URL('./unit-costs.js', import.meta.url));
const unit = JSON.parse(
  execFileSync(process.execPath, [...CLI_NODE_FLAGS, '--max-old-space-size=2048', unitScript, corpus], {
    encoding: 'utf8',
    env: { ...process.env, ...CLI_NODE_ENV, ...DUCKDB_ALLOCATOR_ENV },
  }).trim(),
) as UnitCosts;
const floorUs = floor ? 1e6 / floor.linesPerSec : undefined;
// The floor over the floor plus what every line must cost beyond it: the best ratio to the floor any
// transform of these lines can reach on this machine.
const transformCeiling = floorUs ? floorUs / (floorUs + unit.mandatoryBeyondFloorUsPerLine) : undefined;

const pad = (s: string, n: number) => s.padEnd(n);
const num = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log(
  `corpus: ${corpus} (${args.lines} lines, ${(bytes / (1 << 20)).toFixed(1)} MiB, ${(bytes / args.lines).toFixed(0)} bytes/line), node ${process.version}`,
);
console.log(`${pad('stage', 26)}${pad('lines/s', 12)}${pad('MiB/s', 9)}${pad('peak RSS MiB', 14)}${pad('CPU us/line', 13)}ratio to floor`);
for (const r of rows)
  console.log(
    `${pad(r.stage, 26)}${pad(num(r.linesPerSec), 12)}${pad(num(r.mibPerSec, 1), 9)}${pad(num(r.maxRssMiB), 14)}${pad(num(r.cpuUsPerLine, 1), 13)}${num(r.ratioToFloor ?? NaN, 2)}`,
  );
console.log(
  '(serve-bulk: lines/s from first send to last answer, CPU and RSS of the server process; detect: stored events/s over a pass of every rule; peers: corpus lines over the time until their last line was written, CPU and peak RSS of their process tree)',
);
for (const r of rows.filter((x) => x.figures)) {
  console.log(
    `${r.stage}: ${Object.entries(r.figures!)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(Math.abs(v) >= 100 ? 0 : 3)}`)
      .join(', ')}`,
  );
}
console.log(
  `\neach step alone (${unit.lines} lines, one process, median of rounds), us/line; secrets found: ${unit.fingerprintsPerLine.toFixed(2)} HMACs/line if fingerprinted at once, ${unit.fingerprintsComputedPerLine.toFixed(4)} computed (those reaching an event):`,
);
for (const [step, us] of Object.entries(unit.usPerLine)) console.log(`  ${pad(step, 16)}${num(us, 2)}`);
console.log(
  `  ${pad('sum of steps', 16)}${num(unit.sumOfStepsUsPerLine, 2)}  (the whole transform over the same lines: ${num(unit.wholeTransformUsPerLine, 2)})`,
);
if (floorUs)
  console.log(
    `  mandatory beyond the floor (lineId + the fingerprints computed + stringifyEvent - stringifyRecord): ${num(unit.mandatoryBeyondFloorUsPerLine, 2)}; floor ${num(floorUs, 2)}`,
  );
const get = (s: string) => rows.find((r) => r.stage === s)?.linesPerSec;
const cpuOf = (s: string) => cpuIn(rows, s);
// The store's own CPU per line: what the e2e stage spends beyond the same transform with the same workers.
const transformCpu = cpuOf('transform-2-workers');
const e2eCpu = cpuOf('e2e-duckdb-2-workers');
const storeCpu = transformCpu !== undefined && e2eCpu !== undefined ? e2eCpu - transformCpu : undefined;
const ratios = {
  transformToFloor: ratio(get('transform-1-thread'), floor?.linesPerSec),
  workersToOneThread: ratio(get('transform-2-workers'), get('transform-1-thread')),
  twoProcessesToOneThread: ratio(get(TWO_PROCESSES), get('transform-1-thread')),
  workersToTwoProcesses: ratio(get('transform-2-workers'), get(TWO_PROCESSES)),
  redactionCost: ratio(get('transform-1-thread'), get('transform-no-redaction')),
  e2eDuckdbLinesPerSec: get('e2e-duckdb-2-workers') ?? get('e2e-duckdb-1-thread'),
  transformCeiling: transformCeiling === undefined ? undefined : Number(transformCeiling.toFixed(3)),
  toJq: ratio(get('transform-2-workers') ?? get('transform-1-thread'), get('peer jq')),
  tenTimesJqToFloor: ratio(10 * (get('peer jq') ?? 0), floor?.linesPerSec),
  e2eToTransform2Workers: ratio(get('e2e-duckdb-2-workers'), get('transform-2-workers')),
  serveToBatch: ratio(get('serve-bulk'), get('e2e-duckdb-2-workers')),
  esLoaderToDuckdb: ratio(get('es-loader'), get('e2e-duckdb-2-workers')),
  esLoaderNoLookupToDuckdb: ratio(get('es-loader-no-lookup'), get('e2e-duckdb-2-workers')),
  storeCpuUsPerLine: storeCpu === undefined ? undefined : Number(storeCpu.toFixed(2)),
  // Both cores busy and transform and store fully overlapped, e2e over transform-2-workers is at most
  // the transform's share of the CPU each line costs.
  // CPU per line of the whole job over rsyslog's reshape (the issue's targets: at most 1.4 into NDJSON, 1.8 into DuckDB).
  ndjsonCpuToRsyslog: cpuRatio('e2e-ndjson-2-workers', 'peer rsyslog'),
  duckdbCpuToRsyslog: cpuRatio('e2e-duckdb-2-workers', 'peer rsyslog'),
  ndjsonCpuToSyslogNg: cpuRatio('e2e-ndjson-2-workers', 'peer syslog-ng'),
  duckdbCpuToSyslogNg: cpuRatio('e2e-duckdb-2-workers', 'peer syslog-ng'),
  // The same with `--workers 1` (not the default): what the job costs when lines/s matter less.
  ndjsonOneWorkerCpuToRsyslog: cpuRatio('e2e-ndjson-1-worker', 'peer rsyslog'),
  duckdbOneWorkerCpuToRsyslog: cpuRatio('e2e-duckdb-1-worker', 'peer rsyslog'),
  // Each round's own CPU ratios of the targets, in round order.
  ...(args.rounds > 1
    ? {
        ndjsonCpuToRsyslogByRound: cpuRatiosByRound('e2e-ndjson-2-workers', 'peer rsyslog'),
        duckdbCpuToRsyslogByRound: cpuRatiosByRound('e2e-duckdb-2-workers', 'peer rsyslog'),
      }
    : {}),
  e2eToTransformCpuCeiling: storeCpu === undefined ? undefined : Number((transformCpu! / (transformCpu! + storeCpu)).toFixed(3)),
};
console.log('\nratios:', JSON.stringify(ratios, null, 1));
// CPU per line of the whole job against each peer's reshape (user + system, every process and thread):
// how many times the peer's CPU each auditline line costs, and whether the peer wrote every JSON line.
if (peerRuns.length > 0) {
  console.log(`\n${pad('peer', 12)}${pad('CPU us/line', 13)}${pad('lines written', 22)}${pad('NDJSON CPU ×', 14)}DuckDB CPU ×`);
  // A peer is listed once, with the fewest lines it wrote in any round.
  const fewest = new Map<string, PeerRun>();
  for (const p of peerRuns) if ((fewest.get(p.name)?.written ?? Infinity) > p.written) fewest.set(p.name, p);
  for (const p of fewest.values()) {
    const us = cpuOf(`peer ${p.name}`)!;
    const lost = p.written < p.expected ? ` (${p.expected - p.written} lost)` : '';
    console.log(
      `${pad(p.name, 12)}${pad(num(us, 1), 13)}${pad(`${p.written}/${p.expected}${lost}`, 22)}${pad(num(cpuRatio('e2e-ndjson-2-workers', `peer ${p.name}`) ?? NaN, 2), 14)}${num(cpuRatio('e2e-duckdb-2-workers', `peer ${p.name}`) ?? NaN, 2)}`,
    );
  }
}
const out = args.out ?? (args.only ? 'bench/results-only.json' : 'bench/results.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ when: new Date().toISOString(), corpus, lines: args.lines, bytes, rounds: args.rounds, rows, roundRows, unitCosts: unit, ratios }, null, 1)}\n`,
);

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a && b ? Number((a / b).toFixed(3)) : undefined;
}

function cpuIn(rows: readonly Row[], stage: string): number | undefined {
  return rows.find((r) => r.stage === stage)?.cpuUsPerLine;
}

/** CPU per line of `a` over `b` in each round, in round order. */
function cpuRatiosByRound(a: string, b: string): (number | undefined)[] {
  return roundRows.map((r) => ratio(cpuIn(r, a), cpuIn(r, b)));
}

/** CPU per line of `a` over `b`: the median of each round's own ratio (one round: that round's). */
function cpuRatio(a: string, b: string): number | undefined {
  const each = cpuRatiosByRound(a, b).filter((x): x is number => x !== undefined);
  return each.length === 0 ? undefined : Number(median(each).toFixed(3));
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per stage, the median of each figure over the rounds (lines and figures of the first round). */
function medianRows(rounds: readonly Row[][]): Row[] {
  return rounds[0]!.map((first) => {
    const all = rounds.map((r) => r.find((x) => x.stage === first.stage)!);
    const linesPerSec = median(all.map((r) => r.linesPerSec));
    return {
      ...first,
      ms: (first.lines / linesPerSec) * 1000,
      linesPerSec,
      mibPerSec: median(all.map((r) => r.mibPerSec)),
      maxRssMiB: median(all.map((r) => r.maxRssMiB)),
      cpuUsPerLine: median(all.map((r) => r.cpuUsPerLine)),
    };
  });
}
