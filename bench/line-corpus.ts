import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/**
 * A big line file for memory runs over gigabytes: `node bench/dist/bench/line-corpus.js --copies 28
 * --out /tmp/lines-5gb.ndjson` (28 copies of the 200k-line corpus: 5.6M lines, ~5 GB). Copy k writes the
 * leading digits of every line's epoch-milliseconds `time` (17…, late 2025) as 20 + k (2033, then ~3
 * years later each copy), so every line is a new line (a new event id) and the store never finds a
 * duplicate, as with real logs.
 */
const TIME_KEY = '"time":17';
const FIRST_COPY_DIGITS = 20;

export async function writeLineCorpus(from: string, out: string, copies: number): Promise<void> {
  const stream = createWriteStream(out);
  for (let copy = 0; copy < copies; copy++) {
    const time = `"time":${FIRST_COPY_DIGITS + copy}`;
    const lines = createInterface({ input: createReadStream(from), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!stream.write(`${line.replace(TIME_KEY, time)}\n`)) await once(stream, 'drain');
    }
  }
  stream.end();
  await once(stream, 'finish');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = await yargs(hideBin(process.argv))
    .option('from', { type: 'string', default: 'bench/corpus/corpus-200000.ndjson' })
    .option('copies', { type: 'number', demandOption: true })
    .option('out', { type: 'string', demandOption: true })
    .strict()
    .parseAsync();
  await writeLineCorpus(args.from, args.out, args.copies);
  process.stdout.write(`${args.out}\n`);
}
