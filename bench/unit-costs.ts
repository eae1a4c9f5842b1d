import type { CompiledPipeline } from '../src/transforms/classify/compile-pipeline.js';
import { parseLine } from '../src/formats/parse-line.js';
import { prepareTransform } from '../src/run/setup.js';
import type { HmacKey } from '../src/secrets/hmac-key.js';
import { buildRequestEvent } from '../src/transforms/build/event.js';
import { idsOfLine, type LineIds } from '../src/transforms/build/ids.js';
import { classifyRequest, type Classified } from '../src/transforms/classify/classify.js';
import { createRedactor, type Redactor } from '../src/transforms/redact/index.js';
import { expandInputs, readLineBatches } from '../src/sources/file.js';
import { DEFAULT_BATCH_LINES } from '../src/sources/lines.js';
import { toStored } from '../src/model/fields.js';
import { createEventValidator } from '../src/transforms/validate/validate.js';
import { BENCH_KEY } from './bench-key.js';
import type { ActivityTrackerEvent } from '../src/model/event.js';

/**
 * Each step of the transform alone, in one process, over the first lines of the corpus: every step's
 * input is made once by the steps before it (untimed), then the step is timed over all of it, the steps
 * taking turns for ROUNDS rounds (median kept). Costs are microseconds per input line, so they add up.
 *
 * Why not differences of the transform cut after each step, each in its own process (the bench's first
 * way): on this shared VM two runs of the same process differ by more than the cheaper steps cost, so
 * differences said validation took 15 us/line when it takes ~2.
 *
 * `lineId` (SHA-256 of the line), `fingerprints` (the HMAC-SHA256 calls the redactor made, run again
 * alone) and `stringifyEvent` are work the design makes every line do; with the floor's parse they
 * bound how close to the floor any transform of these lines can get (bench/main.ts, `transformCeiling`).
 */
const ROUNDS = 5;
const DEFAULT_SAMPLE_LINES = 50_000;
const BUILD_CONTEXT = { source: 'bench', line: 1, format: 'service-log', keyId: BENCH_KEY.id };
/** The steps one line goes through in the transform, in order (the others are parts of these, timed apart). */
const TRANSFORM_STEPS = ['parse', 'redactRecord', 'classify', 'lineId', 'build', 'redactEvent', 'validate', 'toStored'] as const;

export interface UnitCosts {
  lines: number;
  /**
   * HMACs per line if every secret the record pass finds were fingerprinted at once (the memo
   * answers repeated values); the `fingerprints` step times these.
   */
  fingerprintsPerLine: number;
  /** HMACs per line the transform runs: it computes a secret's fingerprint only where it reaches an output. */
  fingerprintsComputedPerLine: number;
  /** us per input line, median of ROUNDS. */
  usPerLine: Record<string, number>;
  /** TRANSFORM_STEPS added up. */
  sumOfStepsUsPerLine: number;
  /** The whole transform over the same lines, us per line: above the sum by GC and the cost of one line touching every step's code and data. */
  wholeTransformUsPerLine: number;
  /**
   * What the design makes every line cost beyond the floor (read, parse, stringify the record), whatever
   * the code: its id's SHA-256, the HMACs of the secrets that reach its event, and serialising the event
   * instead of the record.
   */
  mandatoryBeyondFloorUsPerLine: number;
}

interface Prepared {
  texts: string[];
  records: Record<string, unknown>[];
  classified: Classified[];
  ids: LineIds[];
  events: ActivityTrackerEvent[];
}

/** A key that also records what it was asked to fingerprint: the bench's own key, never a real one. */
function recordingKey(into: string[]): HmacKey {
  return {
    id: BENCH_KEY.id,
    fingerprint: (v) => {
      into.push(v);
      return BENCH_KEY.fingerprint(v);
    },
    get material() {
      return BENCH_KEY.material;
    },
  };
}

/** The corpus's first lines, streamed: the whole file can be larger than a string may be. */
async function firstLines(corpus: string, count: number): Promise<string[]> {
  const out: string[] = [];
  const [source] = await expandInputs([corpus]);
  for await (const batch of readLineBatches(source!)) {
    for (const line of batch.lines) if (line.length > 0 && out.length < count) out.push(line);
    if (out.length >= count) break;
  }
  return out;
}

export async function measureUnitCosts(corpus: string, sampleLines = DEFAULT_SAMPLE_LINES): Promise<UnitCosts> {
  const texts = await firstLines(corpus, sampleLines);
  const { pipelines, makeTransform, workerInit } = prepareTransform({ key: BENCH_KEY });
  const { extraFields } = workerInit;
  const hmacInputs: string[] = [];
  const computed: string[] = [];
  const recording = createRedactor({ key: recordingKey(computed), extraFields });
  const redactor = createRedactor({ key: BENCH_KEY, extraFields });
  const validate = createEventValidator();
  const counts = {};

  const p = prepare(texts, pipelines, recording, counts);
  const n = p.texts.length;
  // Every secret found, fingerprinted at once (`redactRecord` never defers).
  const eager = createRedactor({ key: recordingKey(hmacInputs), extraFields });
  for (const t of p.texts) eager.redactRecord(JSON.parse(t), {});
  // Fresh (unredacted) copies for the steps that change their input in place; made untimed.
  const freshRecords = () => p.texts.map((t) => JSON.parse(t) as Record<string, unknown>);
  const freshEvents = () => p.classified.map((c, i) => buildRequestEvent(c, p.ids[i]!, BUILD_CONTEXT));

  let sink = 0;
  const steps: Record<string, { setup?: () => unknown[]; run: (input: unknown[]) => void }> = {
    parse: { run: () => p.texts.forEach((t) => (sink += parseLine(t, undefined).kind.length)) },
    stringifyRecord: { run: () => p.records.forEach((r) => (sink += JSON.stringify(r).length)) },
    // Each record as the line chain gives it: just parsed, so its fingerprints are deferred.
    redactRecord: {
      setup: freshRecords,
      run: (rs) =>
        rs.forEach((r) => {
          sink += redactor.redactParsedRecord(r as object, counts);
        }),
    },
    classify: { run: () => p.records.forEach((r) => (sink += classifyRequest(r, pipelines, false).kind.length)) },
    lineId: { run: () => p.texts.forEach((t) => (sink += idsOfLine(t).eventId.length)) },
    build: { run: () => p.classified.forEach((c, i) => (sink += buildRequestEvent(c, p.ids[i]!, BUILD_CONTEXT).action.length)) },
    // As the line chain does for a request event built from a redacted record: only what the build composed.
    redactEvent: { setup: freshEvents, run: (es) => es.forEach((e) => (sink += redactor.redactBuiltEvent!(e as object, counts))) },
    validate: { run: () => p.events.forEach((e) => (sink += validate(e) ? 1 : 0)) },
    stringifyEvent: { run: () => p.events.forEach((e) => (sink += JSON.stringify(e).length)) },
    toStored: { run: () => p.events.forEach((e) => (sink += toStored(e, 'bench', 1).json.length)) },
    fingerprints: { run: () => hmacInputs.forEach((v) => (sink += BENCH_KEY.fingerprint(v).length)) },
  };
  const transform = makeTransform();
  const samples: Record<string, number[]> = { wholeTransform: [] };
  for (const name of Object.keys(steps)) samples[name] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const input = step.setup?.() ?? [];
      const started = performance.now();
      step.run(input);
      samples[name]!.push(((performance.now() - started) * 1000) / n);
    }
    const started = performance.now();
    // In the reader's batches, so the live heap is what a run holds, not the whole sample's events.
    for (let i = 0; i < n; i += DEFAULT_BATCH_LINES) {
      sink += transform({ source: 'bench', firstLine: i + 1, lines: p.texts.slice(i, i + DEFAULT_BATCH_LINES), oversized: [] }).events.length;
    }
    samples.wholeTransform!.push(((performance.now() - started) * 1000) / n);
  }
  if (sink === 0) throw new Error('unit costs: no work was observed');
  const usPerLine: Record<string, number> = {};
  for (const name of Object.keys(steps)) usPerLine[name] = median(samples[name]!);
  const u = usPerLine as Record<(typeof TRANSFORM_STEPS)[number] | 'fingerprints' | 'stringifyEvent' | 'stringifyRecord', number>;
  return {
    lines: n,
    fingerprintsPerLine: hmacInputs.length / n,
    fingerprintsComputedPerLine: computed.length / n,
    usPerLine,
    sumOfStepsUsPerLine: TRANSFORM_STEPS.reduce((sum, step) => sum + u[step], 0),
    wholeTransformUsPerLine: median(samples.wholeTransform!),
    mandatoryBeyondFloorUsPerLine: u.lineId + u.fingerprints * computedShare(computed.length, hmacInputs.length) + u.stringifyEvent - u.stringifyRecord,
  };
}

/**
 * The lines every step can take: JSON objects that classify (the corpus's malformed and unknown
 * lines are dropped here, so each step sees the same lines).
 */
function prepare(all: string[], pipelines: CompiledPipeline[], redactor: Redactor, counts: Record<string, number>): Prepared {
  const p: Prepared = { texts: [], records: [], classified: [], ids: [], events: [] };
  for (const text of all) {
    const parsed = parseLine(text, undefined);
    if (parsed.kind !== 'record') continue;
    redactor.redactParsedRecord(parsed.record, counts);
    const c = classifyRequest(parsed.record, pipelines, false);
    if (c.kind !== 'classified') continue;
    const ids = idsOfLine(text);
    const event = buildRequestEvent(c, ids, BUILD_CONTEXT);
    redactor.redactRecord(event, counts);
    p.texts.push(text);
    p.records.push(parsed.record);
    p.classified.push(c);
    p.ids.push(ids);
    p.events.push(event);
  }
  return p;
}

/** The share of the timed fingerprints that the transform computes. */
function computedShare(computed: number, timed: number): number {
  return timed === 0 ? 0 : computed / timed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [corpus, lines] = process.argv.slice(2) as [string, string | undefined];
  process.stdout.write(`${JSON.stringify(await measureUnitCosts(corpus, lines ? Number(lines) : undefined))}\n`);
}
