import { parentPort, workerData } from 'node:worker_threads';
import { createWorkerHandler } from './worker-handler.js';
import type { WorkerInit } from './worker-pool.js';

/** A transform thread's entry point: one reply per batch message (worker-handler.ts). */
const handle = createWorkerHandler(workerData as WorkerInit, (msg, transfer) => parentPort!.postMessage(msg, transfer));
parentPort!.on('message', handle);
