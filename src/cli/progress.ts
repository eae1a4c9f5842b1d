/** A one-line progress display on stderr, only when stderr is a terminal; redraws at most every 200 ms. */
const REDRAW_MS = 200;

export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  const started = Date.now();
  return {
    update(p: { bytesRead: number; bytesTotal: number | undefined; linesRead: number }) {
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      const rate = Math.round(p.linesRead / Math.max((now - started) / 1000, 0.001));
      const pct = p.bytesTotal ? `${Math.min(100, (100 * p.bytesRead) / p.bytesTotal).toFixed(1)}% ` : '';
      stream.write(`\r\x1b[K${pct}${p.linesRead} lines, ${rate} lines/s`);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
