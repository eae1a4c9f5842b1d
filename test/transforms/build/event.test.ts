import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLayoutObject, type LayoutNode } from '../../../src/model/event-layout.js';
import { DOCUMENT_FIELDS, STORED_FIELDS } from '../../../src/model/fields.js';
import { prepareTransform } from '../../../src/run/setup.js';
import { buildRequestEvent, REQUEST_EVENT_LAYOUT } from '../../../src/transforms/build/event.js';
import { idsOfLine } from '../../../src/transforms/build/ids.js';
import { classifyRequest } from '../../../src/transforms/classify/classify.js';
import { testKey } from '../redact/test-key.js';

const RAW = join(import.meta.dirname, '../../../fixtures/raw');
const lines = ['key-protect.ndjson', 'secrets-manager.ndjson'].flatMap((f) => readFileSync(join(RAW, f), 'utf8').trim().split('\n'));
const { pipelines } = prepareTransform({ key: testKey });

function builtEvents(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    const c = classifyRequest(JSON.parse(line) as Record<string, unknown>, pipelines, false);
    if (c.kind !== 'classified') continue;
    out.push(buildRequestEvent(c, idsOfLine(line), { source: 's', line: 1, format: 'service-log', keyId: testKey.id }) as unknown as Record<string, unknown>);
  }
  return out;
}

/** The layout's keys that an object of the event has, in layout order. */
function expectKeysOf(value: Record<string, unknown>, layout: readonly LayoutNode[], path: string): void {
  expect(Object.keys(value), path).toEqual(layout.filter((n) => value[n.key] !== undefined).map((n) => n.key));
  for (const node of layout) {
    if (isLayoutObject(node)) expectKeysOf(value[node.key] as Record<string, unknown>, node.fields, `${path}${node.key}.`);
  }
}

function leafPaths(layout: readonly LayoutNode[], prefix = ''): string[] {
  return layout.flatMap((n) => (isLayoutObject(n) ? leafPaths(n.fields, `${prefix}${n.key}.`) : [`${prefix}${n.key}`]));
}

describe('built request events', () => {
  it('have exactly the keys of REQUEST_EVENT_LAYOUT, in its order, so the redaction pass compiled from it sees every value', () => {
    const events = builtEvents();
    expect(events.length).toBeGreaterThan(50);
    for (const e of events) expectKeysOf(e, REQUEST_EVENT_LAYOUT, '');
    // The optional keys occur, so the check above covered them.
    expect(events.some((e) => (e.reason as Record<string, unknown>).reasonForFailure !== undefined)).toBe(true);
    expect(events.some((e) => ((e.initiator as Record<string, unknown>).host as Record<string, unknown>).agent !== undefined)).toBe(true);
  });

  it('lay out only fields the field table knows (stored columns or document fields)', () => {
    const known = new Set([...STORED_FIELDS.map((f) => f.path), ...DOCUMENT_FIELDS.map((f) => f.path)]);
    expect(leafPaths(REQUEST_EVENT_LAYOUT).filter((p) => !known.has(p))).toEqual([]);
  });
});
