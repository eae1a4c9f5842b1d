// A transform worker that dies on purpose: a batch whose source names `crash-always` ends the
// thread every time; `crash-once:<marker file>` ends it the first time only (the marker file
// survives the thread, so its replacement transforms the batch). Every other batch goes to the
// real handler (dist/, built by `npm test`'s pretest).
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { createWorkerHandler } = await import(new URL('../../dist/run/worker-handler.js', import.meta.url).href);
const handle = createWorkerHandler(workerData, (msg, transfer) => parentPort.postMessage(msg, transfer));

parentPort.on('message', (msg) => {
  const source = msg.input.source;
  if (source.includes('crash-always')) process.exit(7);
  const once = source.split('crash-once:')[1];
  if (once !== undefined && !existsSync(once)) {
    writeFileSync(once, '');
    process.exit(7);
  }
  handle(msg);
});
