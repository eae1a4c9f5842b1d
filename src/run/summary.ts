import type { RejectCode } from '../model/records.js';

/** Counts of one source (a file, a request body); summed they give the run's counts. */
export interface SourceCounts {
  linesRead: number;
  eventsIndexed: number;
  deadLettered: number;
  duplicatesSkipped: number;
  filtered: number;
}

/** What a source's lines came to, once every one of them is acknowledged. */
export interface Tally extends SourceCounts {
  byLocation: Record<string, number>;
  byAction: Record<string, number>;
  byFormat: Record<string, number>;
  deadLetteredBy: Partial<Record<RejectCode, number>>;
  filteredBy: Record<string, number>;
  redactions: Record<string, number>;
}

/** The `--json` summary: every line accounted for, per run and per source. */
export interface RunSummary extends Tally {
  /** Per source file; `format` counts its lines per detected input format (a file may mix them). */
  sources: Record<string, SourceCounts & { format?: Record<string, number> }>;
  /** Sources that broke off part way (a cut .gz, an I/O error): each cost its damaged part only. */
  damaged: { source: string; code: string; line: number; reason: string }[];
  store: string;
  deadLetterFile: string | undefined;
  durationMs: number;
  linesPerSecond: number;
}

export function emptyCounts(): SourceCounts {
  return { linesRead: 0, eventsIndexed: 0, deadLettered: 0, duplicatesSkipped: 0, filtered: 0 };
}

export function emptyTally(): Tally {
  return { ...emptyCounts(), byLocation: {}, byAction: {}, byFormat: {}, deadLetteredBy: {}, filteredBy: {}, redactions: {} };
}

export function emptySummary(store: string, deadLetterFile: string | undefined): RunSummary {
  return { ...emptyTally(), sources: {}, damaged: [], store, deadLetterFile, durationMs: 0, linesPerSecond: 0 };
}

export function addTo(target: Record<string, number>, add: Record<string, number>): void {
  for (const [k, v] of Object.entries(add)) target[k] = (target[k] ?? 0) + v;
}

export function countsOf(t: SourceCounts): SourceCounts {
  return { linesRead: t.linesRead, eventsIndexed: t.eventsIndexed, deadLettered: t.deadLettered, duplicatesSkipped: t.duplicatesSkipped, filtered: t.filtered };
}

/** Adds one tally into another (a source's into the run's). */
export function addTally(into: Tally, add: Tally): void {
  into.linesRead += add.linesRead;
  into.eventsIndexed += add.eventsIndexed;
  into.deadLettered += add.deadLettered;
  into.duplicatesSkipped += add.duplicatesSkipped;
  into.filtered += add.filtered;
  addTo(into.byLocation, add.byLocation);
  addTo(into.byAction, add.byAction);
  addTo(into.byFormat, add.byFormat);
  addTo(into.deadLetteredBy as Record<string, number>, add.deadLetteredBy as Record<string, number>);
  addTo(into.filteredBy, add.filteredBy);
  addTo(into.redactions, add.redactions);
}

/** A source's tally enters the run summary under its name. */
export function addSource(summary: RunSummary, name: string, tally: Tally): void {
  addTally(summary, tally);
  const s = (summary.sources[name] ??= emptyCounts());
  s.linesRead += tally.linesRead;
  s.eventsIndexed += tally.eventsIndexed;
  s.deadLettered += tally.deadLettered;
  s.duplicatesSkipped += tally.duplicatesSkipped;
  s.filtered += tally.filtered;
  addTo(((s as { format?: Record<string, number> }).format ??= {}), tally.byFormat);
}

/** The accounting invariant, checked at the end of every run (and by the tests). */
export function accountingHolds(c: SourceCounts): boolean {
  return c.linesRead === c.eventsIndexed + c.deadLettered + c.duplicatesSkipped + c.filtered;
}

/** `activity-tracker 120, logdna 3` (most frequent first), or `-` for a file with no record. */
function formatsOf(counts: Record<string, number> | undefined): string {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : '-';
}

export function formatSummaryText(s: RunSummary): string {
  const top = (m: Record<string, number>, n = 10) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `    ${k.padEnd(48)} ${v}`)
      .join('\n');
  return [
    `lines read          ${s.linesRead}`,
    `events indexed      ${s.eventsIndexed}`,
    `dead-lettered       ${s.deadLettered}${
      s.deadLettered
        ? ` (${Object.entries(s.deadLetteredBy)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')})`
        : ''
    }`,
    `duplicates skipped  ${s.duplicatesSkipped}`,
    `filtered            ${s.filtered}`,
    `redactions          ${Object.values(s.redactions).reduce((a, b) => a + b, 0)}`,
    `store               ${s.store}`,
    s.deadLetterFile ? `dead-letter file    ${s.deadLetterFile}` : '',
    ...s.damaged.map((d) => `damaged input       ${d.source}: ${d.code} from line ${d.line} (${d.reason})`),
    `took                ${(s.durationMs / 1000).toFixed(2)} s (${Math.round(s.linesPerSecond)} lines/s)`,
    'by location:',
    top(s.byLocation),
    'by input format:',
    top(s.byFormat),
    ...Object.entries(s.sources).map(([name, c]) => `  ${name}: ${formatsOf(c.format)}`),
    'by action (top 10):',
    top(s.byAction),
  ]
    .filter((l) => l !== '')
    .join('\n');
}
