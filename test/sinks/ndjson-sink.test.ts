import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { openNdjsonSink } from '../../src/sinks/ndjson.js';

const DAY = 86_400_000;
const uuid = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-8000-8000-${'0'.repeat(12)}`;

/** An event whose document is `{"id":..., "n":..., "pad":...}`; only what the sink reads is filled in. */
function event(i: number, location: string, time: number, pad = ''): StoredEvent {
  const id = uuid(i);
  return { id, location, time, json: JSON.stringify({ id, n: i, pad }) } as StoredEvent;
}

const statuses = (outcomes: { status: string }[]) => outcomes.map((o) => o.status);
const fileOf = (dir: string, location: string, day: string) => readFileSync(join(dir, location, `${day}.ndjson`), 'utf8');

describe('NDJSON sink', () => {
  it('writes each event to its location and UTC day, before and after the epoch, and reports duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
    const sink = openNdjsonSink(dir);
    const noon = Date.UTC(2025, 10, 21, 12);
    const events = [
      event(1, 'us-east', noon),
      event(2, 'eu-de', noon),
      event(3, 'us-east', Date.UTC(2025, 10, 21) + DAY - 1),
      event(4, 'us-east', Date.UTC(2025, 10, 22)),
      event(5, 'us-east', -1),
      event(6, 'us-east', -DAY),
      event(7, 'us-east', -DAY - 1),
    ];
    expect(statuses(await sink.write(events))).toEqual(Array(7).fill('committed'));
    expect(statuses(await sink.write([event(1, 'us-east', noon), event(8, 'us-east', noon), event(8, 'us-east', noon)]))).toEqual([
      'duplicate',
      'committed',
      'duplicate',
    ]);
    await sink.close();
    const lines = (text: string) =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { n: number }).n);
    expect(lines(fileOf(dir, 'us-east', '2025-11-21'))).toEqual([1, 3, 8]);
    expect(lines(fileOf(dir, 'us-east', '2025-11-22'))).toEqual([4]);
    expect(lines(fileOf(dir, 'us-east', '1969-12-31'))).toEqual([5, 6]);
    expect(lines(fileOf(dir, 'us-east', '1969-12-30'))).toEqual([7]);
    expect(lines(fileOf(dir, 'eu-de', '2025-11-21'))).toEqual([2]);
  });

  it('writes documents as their UTF-8 bytes, whatever their size and characters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
    const sink = openNdjsonSink(dir);
    const time = Date.UTC(2025, 0, 1);
    // Larger than the sink's write buffer, many pieces of it, and characters of 2, 3 and 4 bytes.
    const pads = ['x'.repeat(2_000_000), 'é€😀'.repeat(150_000), 'ascii', ...Array.from({ length: 3000 }, (_, i) => `${'ü'.repeat(i % 700)}😀`)];
    const events = pads.map((pad, i) => event(i, 'eu-gb', time, pad));
    await sink.write(events);
    await sink.close();
    const expected = Buffer.from(events.map((e) => `${e.json}\n`).join(''), 'utf8');
    // Compared as bytes: a deep equality over megabytes takes half a minute.
    expect(readFileSync(join(dir, 'eu-gb', '2025-01-01.ndjson')).equals(expected)).toBe(true);
  });

  it('keeps every file right when a write touches more files than stay open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
    const sink = openNdjsonSink(dir);
    const start = Date.UTC(2025, 0, 1);
    // 100 days, visited twice in one write: each file is closed by the LRU before its second event.
    const events = Array.from({ length: 200 }, (_, i) => event(i % 100, 'jp-tok', start + (i % 100) * DAY + (i >= 100 ? 1 : 0)));
    const first = await sink.write(events);
    expect(statuses(first)).toEqual([...Array(100).fill('committed'), ...Array(100).fill('duplicate')]);
    expect(statuses(await sink.write(events.slice(0, 100)))).toEqual(Array(100).fill('duplicate'));
    await sink.close();
    expect(readdirSync(join(dir, 'jp-tok'))).toHaveLength(100);
    for (let d = 0; d < 100; d++) {
      const day = new Date(start + d * DAY).toISOString().slice(0, 10);
      expect(fileOf(dir, 'jp-tok', day)).toBe(`${events[d]!.json}\n`);
    }
  });

  it('writes again an event whose line a crash tore, and starts the next line after the torn one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
    const time = Date.UTC(2025, 0, 1);
    const [kept, torn, next] = [1, 2, 3].map((i) => event(i, 'au-syd', time, 'p'.repeat(100))) as [StoredEvent, StoredEvent, StoredEvent];
    const file = join(dir, 'au-syd', '2025-01-01.ndjson');
    const first = openNdjsonSink(dir);
    await first.write([kept]);
    await first.close();
    // The id is whole, the event is not: it was never acknowledged.
    writeFileSync(file, `${kept.json}\n${torn.json.slice(0, 60)}`);
    const sink = openNdjsonSink(dir);
    expect(statuses(await sink.write([kept, torn, next]))).toEqual(['duplicate', 'committed', 'committed']);
    await sink.close();
    expect(readFileSync(file, 'utf8')).toBe(`${kept.json}\n${torn.json.slice(0, 60)}\n${torn.json}\n${next.json}\n`);
  });

  describe('staged writes', () => {
    const time = Date.UTC(2025, 0, 1);
    const day = '2025-01-01';

    it('appends each part as it arrives, answers in staging order at commit, and finds duplicates across parts', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
      const sink = openNdjsonSink(dir);
      const w = sink.openWrite!();
      await w.stage([event(1, 'us-east', time), event(2, 'eu-de', time)]);
      // The part is in the file before the commit: the sink no longer holds its documents.
      expect(fileOf(dir, 'us-east', day)).toBe(`${event(1, 'us-east', time).json}\n`);
      await w.stage([event(1, 'us-east', time), event(3, 'us-east', time)]);
      expect(statuses(await w.commit())).toEqual(['committed', 'committed', 'duplicate', 'committed']);
      await sink.close();
      expect(fileOf(dir, 'us-east', day)).toBe([1, 3].map((i) => `${event(i, 'us-east', time).json}\n`).join(''));
    });

    it('an aborted write leaves every file as it was, and its events can be written again', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
      const sink = openNdjsonSink(dir);
      await sink.write([event(1, 'us-east', time)]);
      const before = fileOf(dir, 'us-east', day);
      const w = sink.openWrite!();
      await w.stage([event(2, 'us-east', time), event(3, 'eu-de', time)]);
      await w.stage([event(4, 'us-east', time + DAY)]);
      await w.abort();
      expect(fileOf(dir, 'us-east', day)).toBe(before);
      expect(fileOf(dir, 'eu-de', day)).toBe('');
      expect(fileOf(dir, 'us-east', '2025-01-02')).toBe('');
      // The ids of the aborted write were forgotten; the committed one was not.
      expect(statuses(await sink.write([event(1, 'us-east', time), event(2, 'us-east', time), event(3, 'eu-de', time)]))).toEqual([
        'duplicate',
        'committed',
        'committed',
      ]);
      await sink.close();
      expect(fileOf(dir, 'us-east', day)).toBe(`${before}${event(2, 'us-east', time).json}\n`);
    });

    it('an aborted write cuts a file back to its length before the write, when the LRU closed and reopened it mid-write', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
      const sink = openNdjsonSink(dir);
      await sink.write([event(0, 'jp-tok', time)]);
      const before = fileOf(dir, 'jp-tok', day);
      const w = sink.openWrite!();
      await w.stage([event(1, 'jp-tok', time)]);
      // 100 other days close the first file; the next part reopens it, longer than before the write.
      await w.stage(Array.from({ length: 100 }, (_, d) => event(100 + d, 'jp-tok', time + (d + 1) * DAY)));
      await w.stage([event(2, 'jp-tok', time)]);
      await w.abort();
      expect(fileOf(dir, 'jp-tok', day)).toBe(before);
      expect(statuses(await sink.write([event(0, 'jp-tok', time), event(1, 'jp-tok', time), event(100, 'jp-tok', time + DAY)]))).toEqual([
        'duplicate',
        'committed',
        'committed',
      ]);
      await sink.close();
    });

    it('a part that cannot be written fails as a SinkError, and the abort keeps what earlier writes committed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
      const sink = openNdjsonSink(dir);
      await sink.write([event(1, 'us-east', time)]);
      const before = fileOf(dir, 'us-east', day);
      // A location whose folder cannot be made: a file stands where it would be.
      writeFileSync(join(dir, 'eu-de'), 'not a folder');
      const w = sink.openWrite!();
      await w.stage([event(2, 'us-east', time)]);
      await expect(w.stage([event(3, 'us-east', time), event(4, 'eu-de', time)])).rejects.toMatchObject({ name: 'SinkError', code: 'AL_SINK_IO' });
      await w.abort();
      expect(fileOf(dir, 'us-east', day)).toBe(before);
      expect(statuses(await sink.write([event(2, 'us-east', time), event(3, 'us-east', time)]))).toEqual(['committed', 'committed']);
      await sink.close();
    });

    it('a whole write that fails forgets the ids it had taken', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-ndjson-'));
      const sink = openNdjsonSink(dir);
      writeFileSync(join(dir, 'eu-de'), 'not a folder');
      await expect(sink.write([event(1, 'us-east', time), event(2, 'eu-de', time)])).rejects.toMatchObject({ name: 'SinkError' });
      expect(statuses(await sink.write([event(1, 'us-east', time)]))).toEqual(['committed']);
      await sink.close();
      expect(fileOf(dir, 'us-east', day)).toBe(`${event(1, 'us-east', time).json}\n`);
    });
  });
});
