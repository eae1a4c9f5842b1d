import { textOf, valueAt } from '../fields.js';
import { href } from '../route.js';
import type { AuditEvent } from '../types.js';
import { Value } from './value.js';

export interface SortState {
  field: string;
  order: 'asc' | 'desc';
}

/**
 * Events as a table, one column per field; the time cell opens the whole event. With `onSort`,
 * each header is a button that asks the server for that order (the page holds one page only).
 */
export function EventsTable({
  events,
  fields,
  sort,
  onSort,
  caption,
}: {
  events: readonly AuditEvent[];
  fields: readonly string[];
  sort?: SortState;
  onSort?: (s: SortState) => void;
  caption?: string;
}) {
  return (
    <div class="table-wrap">
      <table class="events">
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {fields.map((f) => {
              const active = sort?.field === f;
              const ariaSort = active ? (sort!.order === 'asc' ? 'ascending' : 'descending') : undefined;
              return (
                <th key={f} scope="col" aria-sort={ariaSort}>
                  {onSort ? (
                    <button type="button" class="sort" onClick={() => onSort({ field: f, order: active && sort!.order === 'asc' ? 'desc' : 'asc' })}>
                      {f}
                      <span aria-hidden="true">{active ? (sort!.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    f
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              {fields.map((f, i) => (
                <td key={f}>{i === 0 ? <a href={href(['event', e.id])}>{textOf(valueAt(e, f)) || e.id}</a> : <Value value={valueAt(e, f)} />}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
