import type { ComponentChildren } from 'preact';

/** Loading and failure states, announced to screen readers. */
export function Status({ loading, error, children }: { loading?: boolean; error?: string | null; children?: ComponentChildren }) {
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (loading)
    return (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  return <>{children}</>;
}
