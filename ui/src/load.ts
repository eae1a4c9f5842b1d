import { useEffect, useState } from 'preact/hooks';
import { Unauthorized } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

/** Runs `load` whenever `deps` change; an answer that arrives after a newer request started is dropped. */
export function useLoad<T>(load: (() => Promise<T>) | null, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: null, loading: load !== null });
  useEffect(() => {
    if (!load) return;
    let current = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (e: unknown) =>
        current && !(e instanceof Unauthorized) && setState({ data: undefined, error: e instanceof Error ? e.message : String(e), loading: false }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return state;
}
