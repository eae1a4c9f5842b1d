import { resolveField } from './fields.js';
import type { Finding } from './findings.js';
import type { SearchDefinition } from './schema.js';

/**
 * Results as text: a table for people, CSV for spreadsheets, JSON (one document) and NDJSON
 * for programs. Events are shown by the search's `fields`; JSON formats carry whole events.
 */
export type OutputFormat = 'table' | 'json' | 'csv' | 'ndjson';

export const DEFAULT_EVENT_FIELDS = ['@timestamp', 'location', 'action', 'outcome', 'initiator.name', 'target.id'];

type Cell = string | number | boolean | null | undefined;

function valueAt(event: Record<string, unknown>, name: string): Cell {
  const path = resolveField(name)?.path ?? name;
  let v: unknown = event;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v === undefined || v === null || typeof v !== 'object' ? (v as Cell) : JSON.stringify(v);
}

export function formatEvents(events: readonly Record<string, unknown>[], def: SearchDefinition, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify({ search: def.id, count: events.length, events }, null, 2)}\n`;
  if (format === 'ndjson') return events.map((e) => `${JSON.stringify(e)}\n`).join('');
  const fields = def.fields ?? DEFAULT_EVENT_FIELDS;
  const rows = events.map((e) => fields.map((f) => valueAt(e, f)));
  return format === 'csv' ? csv(fields, rows) : table(fields, rows);
}

export interface ShownFinding extends Finding {
  /** new: not reported by an earlier run; known: already recorded */
  status?: 'new' | 'known';
}

const FINDING_COLUMNS = ['status', 'severity', 'rule', 'location', 'group', 'count', 'firstSeen', 'lastSeen', 'techniques'];

export function formatFindings(findings: readonly ShownFinding[], format: OutputFormat, meta: Record<string, unknown> = {}): string {
  if (format === 'json') return `${JSON.stringify({ ...meta, count: findings.length, findings }, null, 2)}\n`;
  if (format === 'ndjson') return findings.map((f) => `${JSON.stringify(f)}\n`).join('');
  const rows = findings.map((f) => [
    f.status ?? '',
    f.severity,
    f.name,
    f.location,
    Object.entries(f.group)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' '),
    f.count,
    f.firstSeen,
    f.lastSeen,
    f.techniques.join(','),
  ]);
  return format === 'csv' ? csv(FINDING_COLUMNS, rows) : table(FINDING_COLUMNS, rows);
}

function text(c: Cell): string {
  return c === undefined || c === null ? '' : String(c);
}

export function csv(header: readonly string[], rows: readonly Cell[][]): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [header, ...rows].map((r) => r.map((c) => quote(text(c))).join(',')).join('\r\n') + '\r\n';
}

export function table(header: readonly string[], rows: readonly Cell[][]): string {
  const cells = [header.map(String), ...rows.map((r) => r.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return (
    cells
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A one-line note for people when nothing matched (tables only; machine formats stay parseable). */
export function emptyNote(kind: 'events' | 'findings'): string {
  return kind === 'events' ? '(no events)\n' : '(no findings)\n';
}
