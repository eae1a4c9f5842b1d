import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full collection on demand, so a memory sample counts what is still referenced and nothing else. */
const gc = runInNewContext('gc') as () => void;

/** Live memory after a full collection: the JS heap plus Buffers and other ArrayBuffers outside it. */
export function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The most live memory seen above where it stood when the meter was made. */
export function memoryMeter(): { sample(): void; peakGrowth(): number } {
  const base = liveBytes();
  let peak = base;
  return {
    sample() {
      peak = Math.max(peak, liveBytes());
    },
    peakGrowth: () => peak - base,
  };
}

export const MiB = 1024 * 1024;
