import type { StoredEvent } from '../model/records.js';
import { SinkError, type EventOutcome, type EventSink } from '../sinks/sink.js';
import { nextDelay, type RetryPolicy } from './retry-policy.js';

/**
 * One write, tried again by the policy: a whole write that fails as retriable is sent again,
 * and of a write that succeeds only the events refused as retriable are. What is still refused
 * when the policy gives up keeps its last (retriable) rejection; the caller decides its fate.
 * A failure that is not retriable, or a whole write still failing, throws.
 */
export async function writeWithRetry(
  sink: EventSink,
  events: StoredEvent[],
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<{ outcomes: EventOutcome[]; retries: number }> {
  const outcomes = new Array<EventOutcome>(events.length);
  if (events.length === 0) return { outcomes, retries: 0 };
  const started = Date.now();
  let todo = events.map((_, i) => i);
  let retries = 0;
  for (let attempt = 1; ; attempt++) {
    let got: EventOutcome[] | undefined;
    try {
      got = await sink.write(todo.map((i) => events[i]!));
    } catch (e) {
      const wait = e instanceof SinkError && e.retriable ? nextDelay(policy, attempt, Date.now() - started) : undefined;
      if (wait === undefined) throw e;
      retries++;
      await sleep(wait);
      continue;
    }
    if (got.length !== todo.length) throw new SinkError(`${sink.name} answered ${got.length} outcomes for ${todo.length} events`, { retriable: false });
    const again: number[] = [];
    todo.forEach((index, k) => {
      const outcome = got[k]!;
      outcomes[index] = outcome;
      if (outcome.status === 'rejected' && outcome.retriable) again.push(index);
    });
    if (again.length === 0) return { outcomes, retries };
    const wait = nextDelay(policy, attempt, Date.now() - started);
    if (wait === undefined) return { outcomes, retries };
    retries++;
    await sleep(wait);
    todo = again;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
