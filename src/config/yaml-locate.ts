import { isMap, isPair, isScalar, LineCounter, type Document } from 'yaml';

/**
 * Maps a JSON pointer (as ajv reports it) back to a line of the YAML source, so a
 * configuration error names the file and line the user must edit.
 */
export function lineOfPointer(doc: Document, counter: LineCounter, pointer: string, key?: string): number | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let line = startLine(node, counter);
  for (const seg of segments) {
    const next = childOf(node, seg);
    if (next === undefined) break;
    line = startLine(next.keyNode ?? next.valueNode, counter) ?? line;
    node = next.valueNode;
    line = startLine(node, counter) ?? line;
  }
  if (key !== undefined) {
    const pair = childOf(node, key);
    if (pair) line = startLine(pair.keyNode, counter) ?? line;
  }
  return line;
}

function childOf(node: unknown, seg: string): { keyNode?: unknown; valueNode: unknown } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === seg) return { keyNode: item.key, valueNode: item.value };
    }
    return undefined;
  }
  const items = (node as { items?: unknown[] } | null)?.items;
  if (Array.isArray(items)) {
    const item = items[Number(seg)];
    return item === undefined ? undefined : { valueNode: item };
  }
  return undefined;
}

function startLine(node: unknown, counter: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}
