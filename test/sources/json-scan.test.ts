import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonArrayScanner, type ScannedElement } from '../../src/sources/json-scan.js';

/** Every element of `text` fed in pieces cut at `cuts`, and the error that ended it, if any. */
function scan(text: string | Buffer, cuts: number[] = [], maxLineBytes = 1 << 20): { elements: ScannedElement[]; error?: string } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const scanner = new JsonArrayScanner(maxLineBytes);
  const elements: ScannedElement[] = [];
  let from = 0;
  for (const at of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    elements.push(...scanner.push(bytes.subarray(from, at)));
    from = at;
  }
  scanner.end();
  return scanner.broken === undefined ? { elements } : { elements, error: scanner.broken };
}
const texts = (r: { elements: ScannedElement[] }) => r.elements.map((e) => ('text' in e ? e.text : `oversized ${e.oversized}`));

describe('the array scanner', () => {
  it('cuts each top-level element out as its text, whatever its kind', () => {
    const doc = '[{"a":"x]}\\"y","b":[1,{"c":null}]},[],"s,]",12,true,null,-3,{"k":"\\\\"}]';
    expect(texts(scan(doc))).toEqual(['{"a":"x]}\\"y","b":[1,{"c":null}]}', '[]', '"s,]"', '12', 'true', 'null', '-3', '{"k":"\\\\"}']);
  });

  it('gives the same elements however the input is cut into reads (property)', () => {
    const value = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (elements, cuts, pretty) => {
        const doc = JSON.stringify(elements, null, pretty ? 2 : undefined);
        const max = Buffer.byteLength(doc);
        const r = scan(
          doc,
          cuts.map((c) => c % (max + 1)),
        );
        expect(r.error).toBeUndefined();
        // Each element's line is what JSON.stringify writes for it, as the token streamer's was.
        expect(texts(r)).toEqual(elements.map((e) => JSON.stringify(e)));
      }),
    );
  });

  it('writes an element that JSON.stringify would write otherwise in its canonical form', () => {
    const doc = '[ { "a" : 1.50, "b":"\\u0041\\/", "c": 1e3, "d": 12345678901234567890 } ]';
    expect(texts(scan(doc))).toEqual(['{"a":1.5,"b":"A/","c":1000,"d":12345678901234567000}']);
  });

  it('keeps an element JSON.parse refuses as it is, so the line chain refuses it alone', () => {
    expect(scan('[{"a":1},{"a":tru},{"b":2}]')).toEqual({ elements: [{ text: '{"a":1}' }, { text: '{"a":tru}' }, { text: '{"b":2}' }] });
  });

  it('reports an element over the limit by its size and head, across reads, without holding it', () => {
    const big = `{"big":"${'x'.repeat(5000)}\\"${'y'.repeat(3000)}"}`;
    const doc = `[{"a":1},${big},{"b":2}]`;
    for (const cuts of [[], [100], [9, 2000, 4000, 8006, 8007, 8008]]) {
      const r = scan(doc, cuts, 1024);
      expect(r.error).toBeUndefined();
      expect(r.elements).toEqual([{ text: '{"a":1}' }, { oversized: Buffer.byteLength(big), head: big.slice(0, 1024) }, { text: '{"b":2}' }]);
    }
  });

  it('counts a nesting far past the line chain limit without a stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(texts(scan(`[1,${deep},2]`, [50_000, 150_000]))).toEqual(['1', deep, '2']);
  });

  it('stops at what breaks the array, after the elements before it', () => {
    expect(scan('[{"a":1},{"b":2}')).toEqual({ elements: [{ text: '{"a":1}' }, { text: '{"b":2}' }], error: 'the input ends before the closing "]"' });
    expect(scan('[{"a":1},{"b":')).toMatchObject({ elements: [{ text: '{"a":1}' }], error: 'the input ends inside an element' });
    expect(scan('[{"a":1},{"b":[}]')).toMatchObject({ elements: [{ text: '{"a":1}' }], error: '"}" closes "[" in element 2' });
    expect(scan('[{"a":1} {"b":2}]').error).toBe('expected "," or "]", found "{"');
    expect(scan('[{"a":1},]').error).toBe('expected an element, found "]"');
    expect(scan('[1] x').error).toBe('"x" after the closing "]"');
    expect(scan('{"a":1}').error).toBe('expected "[" at the start, found "{"');
    expect(scan('').error).toBe('no array in the input');
    expect(scan(' [ ] \n')).toEqual({ elements: [] });
  });

  it('passes bytes that are not UTF-8 through to be decoded as the line path decodes them', () => {
    const doc = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]')]);
    expect(texts(scan(doc, [8]))).toEqual([`{"a":"\ufffd(\ufffd"}`]);
  });
});
