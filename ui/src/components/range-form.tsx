import type { ComponentChildren } from 'preact';

export interface RangeValues {
  since: string;
  until: string;
  location: string;
}

/**
 * Time range and location: `since` / `until` take what the CLI's flags take (`24h`, `7d`, an ISO
 * 8601 time); empty means open (the store's whole span on the overview).
 */
export function RangeFields({ values, locations, onInput }: { values: RangeValues; locations: readonly string[]; onInput: (v: RangeValues) => void }) {
  return (
    <>
      <label>
        Since
        <input
          name="since"
          value={values.since}
          placeholder="24h, 7d or 2025-11-21T00:00:00Z"
          onInput={(e) => onInput({ ...values, since: e.currentTarget.value })}
        />
      </label>
      <label>
        Until
        <input name="until" value={values.until} placeholder="now" onInput={(e) => onInput({ ...values, until: e.currentTarget.value })} />
      </label>
      <label>
        Location
        <select name="location" value={values.location} onChange={(e) => onInput({ ...values, location: e.currentTarget.value })}>
          <option value="">every location</option>
          {locations.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

export function FormRow({ children, onSubmit, label }: { children: ComponentChildren; onSubmit: () => void; label: string }) {
  return (
    <form
      class="form-row"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <button type="submit">{label}</button>
    </form>
  );
}
