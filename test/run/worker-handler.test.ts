import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackEvents } from '../../src/run/event-codec.js';
import { prepareTransform } from '../../src/run/setup.js';
import { createWorkerHandler, type WorkerReply } from '../../src/run/worker-handler.js';
import { hmacKeyFromBytes } from '../../src/secrets/hmac-key.js';
import { LineSplitter } from '../../src/sources/lines.js';
import { TEST_HMAC_KEY } from '../helpers/env.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const FILES = [
  ...readdirSync(join(FIXTURES, 'raw')).map((f) => join(FIXTURES, 'raw', f)),
  ...readdirSync(join(FIXTURES, 'formats/input')).map((f) => join(FIXTURES, 'formats/input', f)),
];

describe('a transform thread built from WorkerInit', () => {
  it('gives the events, rejects and counts of the main thread for every fixture, from the configurations and validator code it was handed', () => {
    const key = hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex'));
    for (const pipelines of [undefined, ['key-protect'], ['vault']]) {
      const setup = prepareTransform({ key, ...(pipelines ? { pipelines } : {}) });
      const local = setup.makeTransform();
      // What a worker receives: a structured clone of workerData.
      const init = structuredClone(setup.workerInit);
      expect(typeof init.eventValidator).toBe('string');
      let reply: WorkerReply | undefined;
      const handle = createWorkerHandler(init, (msg) => (reply = msg));
      for (const file of FILES) {
        const splitter = new LineSplitter(file);
        for (const batch of [...splitter.push(readFileSync(file)), ...splitter.end()]) {
          handle({ seq: 1, input: batch });
          if (!reply || !('result' in reply)) throw new Error(`${file}: the worker failed: ${reply && 'error' in reply ? reply.error : 'no reply'}`);
          const { packed, ...rest } = reply.result;
          const expected = local(batch);
          expect({ ...rest, events: unpackEvents(packed) }).toEqual(expected);
        }
      }
    }
  });
});
