import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { findingKey, type Finding } from './findings.js';

/**
 * The findings already reported, one JSON line each, kept beside the store rather than in it:
 * searches open the store read-only, so `detect` never competes with ingest for its write lock.
 * A finding whose key (rule, location, group, window) is recorded is known, not raised again.
 */
export interface FindingLedger {
  /** Marks each finding new or known, and records the new ones. */
  record(findings: readonly Finding[]): ('new' | 'known')[];
}

export function openLedger(path: string): FindingLedger {
  const known = new Set<string>();
  if (existsSync(path)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        known.add(String((JSON.parse(line) as { key: unknown }).key));
      } catch {
        // A torn last line (a crash while appending) only means that finding is raised once more.
      }
    }
  }
  return {
    record(findings) {
      const statuses = findings.map((f) => {
        const key = findingKey(f);
        if (known.has(key)) return 'known' as const;
        known.add(key);
        return 'new' as const;
      });
      const lines = findings
        .filter((_, i) => statuses[i] === 'new')
        .map((f) =>
          JSON.stringify({
            key: findingKey(f),
            rule: f.rule,
            location: f.location,
            group: f.group,
            windowStart: f.windowStart,
            firstSeen: f.firstSeen,
            reportedAt: new Date().toISOString(),
          }),
        );
      if (lines.length > 0) appendFileSync(path, `${lines.join('\n')}\n`);
      return statuses;
    },
  };
}
