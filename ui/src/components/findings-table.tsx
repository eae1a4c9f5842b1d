import type { ComponentChildren } from 'preact';
import type { Finding } from '../types.js';
import { Value } from './value.js';

/** Identifies a finding as the ledger does: rule, location, group and window. */
export function findingKey(f: Finding): string {
  return `${f.rule}|${f.location}|${JSON.stringify(f.group)}|${f.windowStart}`;
}

export function groupText(f: Finding): string {
  return Object.entries(f.group)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** Findings with severity, rule, location, group, count, window and techniques; `open` renders a row's details under it. */
export function FindingsTable({
  findings,
  isNew,
  opened,
  onOpen,
  details,
}: {
  findings: readonly Finding[];
  isNew?: (f: Finding) => boolean;
  opened?: string | null;
  onOpen?: (key: string | null) => void;
  details?: (f: Finding) => ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class="findings">
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Rule</th>
            <th scope="col">Location</th>
            <th scope="col">Group</th>
            <th scope="col" class="num">
              Count
            </th>
            <th scope="col">Window</th>
            <th scope="col">Techniques</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f) => {
            const key = findingKey(f);
            const open = opened === key;
            return [
              <tr key={key} class={isNew?.(f) ? 'new' : undefined}>
                <td>
                  <span class={`severity severity-${f.severity}`}>{f.severity}</span>
                  {isNew?.(f) ? <span class="badge">new</span> : null}
                </td>
                <td>
                  {onOpen ? (
                    <button type="button" class="link" aria-expanded={open} onClick={() => onOpen(open ? null : key)}>
                      {f.title}
                    </button>
                  ) : (
                    f.title
                  )}
                  <div class="muted">{f.name}</div>
                </td>
                <td>{f.location}</td>
                <td>
                  <Value value={groupText(f)} />
                </td>
                <td class="num">{f.count}</td>
                <td>
                  <time dateTime={f.firstSeen}>{f.firstSeen}</time>
                  <time dateTime={f.lastSeen}>{`to ${f.lastSeen}`}</time>
                </td>
                <td>{f.techniques.join(', ')}</td>
              </tr>,
              open && details ? (
                <tr key={`${key}-details`} class="details">
                  <td colSpan={7}>{details(f)}</td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}
