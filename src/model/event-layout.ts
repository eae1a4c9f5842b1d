/**
 * The layout of a document a builder makes: every key, in order, with the kind of its value and
 * where the builder took the value from. A redaction pass compiled from it looks again only at what
 * the builder composed (transforms/redact/built-event.ts).
 */

/** Where a builder took a value from: what a later redaction pass must look at again. */
export type ValueOrigin =
  /** copied unchanged from the redacted record */
  | 'record'
  /** composed by the builder (from record parts, decoded URL parts, configuration) */
  | 'composed'
  /** taken whole from the pipeline file or the run (action names, route keys, the source): a few values, repeated */
  | 'config'
  /** made by auditline itself (ids, times, vocabulary terms): nothing a detector can match */
  | 'ours';

/** A value of the document: `json` is an object of unbounded keys (`requestData`). */
export type LeafKind = 'string' | 'number' | 'boolean' | 'json';

export interface LayoutLeaf {
  key: string;
  kind: LeafKind;
  from: ValueOrigin;
  /** Absent (undefined) in some documents, and then left out, as JSON.stringify leaves it out. */
  optional?: boolean;
}

export interface LayoutObject {
  key: string;
  fields: readonly LayoutNode[];
}

export type LayoutNode = LayoutLeaf | LayoutObject;

export function isLayoutObject(node: LayoutNode): node is LayoutObject {
  return 'fields' in node;
}
