/** Exit status after a second signal cut the drain short: 128 + the signal's number, as a shell reports it. */
const SIGNAL_EXIT: Record<'SIGTERM' | 'SIGINT', number> = { SIGTERM: 143, SIGINT: 130 };

/**
 * SIGTERM or SIGINT: stop accepting, answer the requests in flight, close the store, exit 0.
 * A second signal exits at once (an operator who presses Ctrl-C twice means it); whatever was
 * not answered yet is resent by its shipper, and the ids make that harmless.
 */
export function stopOnSignals(stop: () => Promise<void>, log: (message: string) => void, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let stopping = false;
  const onSignal = (signal: 'SIGTERM' | 'SIGINT') => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      exit(SIGNAL_EXIT[signal]);
      return;
    }
    stopping = true;
    log(`${signal}: finishing the requests in flight, then closing the store`);
    stop().then(
      () => {
        log('stopped');
        exit(0);
      },
      (e: unknown) => {
        log(`stopping failed: ${e instanceof Error ? e.message : String(e)}`);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
