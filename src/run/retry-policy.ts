/**
 * How a failed sink write is tried again: a value, so callers and tests choose it and the
 * engine only follows it. Retriable failures are those the sink marks so (Elasticsearch 429s
 * and 5xx, a connection refused); anything else is final at once.
 */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 means never retry. */
  maxAttempts: number;
  /** Delay before the second try; each later delay is `multiplier` times the previous one. */
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /** No try starts after this long since the first one. */
  maxElapsedMs: number;
  /** Full jitter: each delay is drawn uniformly from [0, delay], so retrying clients spread out. */
  jitter: boolean;
}

/**
 * Five tries over about three seconds, capped at thirty: long enough to ride out an
 * Elasticsearch node restart or a 429 burst, short enough that a batch run with a broken
 * sink stops within a minute.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 200,
  multiplier: 2,
  maxDelayMs: 5_000,
  maxElapsedMs: 30_000,
  jitter: true,
};

/** The wait before try number `attempt + 1` (attempt counts from 1), or undefined when the policy gives up. */
export function nextDelay(policy: RetryPolicy, attempt: number, elapsedMs: number, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  const delay = policy.jitter ? Math.floor(random() * ceiling) : ceiling;
  if (elapsedMs + delay > policy.maxElapsedMs) return undefined;
  return delay;
}
