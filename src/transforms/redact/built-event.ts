/**
 * The redaction pass over a built event, compiled from the builder's layout: it runs the text
 * detectors on the values the builder composed (decoded URL parameters, messages, CRNs) or took from
 * the pipeline file, and the field rules on the objects of unbounded keys (`requestData`), and leaves
 * alone what the builder copied from the record, which the record's pass redacted already (redacting
 * twice changes nothing), and what auditline made itself (ids, times, vocabulary). On the bench
 * corpus's events: 7.3-7.6 us/event against 9.4-11 us for the walk over the whole event, which
 * looked up every key's rule and scanned every value it could not change. Stand-ins of fingerprints
 * the record's pass deferred (deferred.ts) can reach the event only through what the builder copied
 * or composed: those values are resolved first, before anything looks at them.
 */
import { isLayoutObject, type LayoutNode } from '../../model/event-layout.js';
import type { DeferredFingerprints } from './deferred.js';
import { redactString } from './detectors.js';
import type { FieldRules } from './field-rules.js';
import type { RedactContext } from './marks.js';
import type { Walker } from './walk.js';

/** Past this many distinct clean values of the pipeline file (a server's source names), the set starts again. */
const MAX_CLEAN_VALUES = 4096;

/** Redacts in place the composed values of one event of the layout. */
export type BuiltEventPass = (event: object, ctx: RedactContext) => void;

/**
 * Compiles the pass, or gives undefined when a key of the layout is itself a secret's name under
 * these rules (a pipeline's `redaction.fields` naming `name`, say): then a value copied from the
 * record may need its whole-value fingerprint here, and the caller walks the whole event instead.
 */
export function compileBuiltEventPass(
  layout: readonly LayoutNode[],
  rules: FieldRules,
  walker: Walker,
  deferred: DeferredFingerprints,
): BuiltEventPass | undefined {
  const lines: string[] = [];
  let objects = 0;
  let ruled = false;
  const visit = (fields: readonly LayoutNode[], ref: string) => {
    for (const node of fields) {
      // `data` is secret next to `secret_type` (walk.ts): never a key of a layout, but checked all the same.
      if (rules.classify(node.key) !== undefined || node.key === 'data') ruled = true;
      const value = `${ref}[${JSON.stringify(node.key)}]`;
      if (isLayoutObject(node)) {
        const o = `o${++objects}`;
        lines.push(`const ${o} = ${value};`, `if (typeof ${o} === 'object' && ${o} !== null) {`);
        visit(node.fields, o);
        lines.push('}');
        continue;
      }
      if (node.from === 'ours') continue;
      lines.push(`v = ${value};`);
      if (node.from !== 'config') lines.push(`if (pending && typeof v === 'string') { r = resolveText(v); if (r !== v) ${value} = v = r; }`);
      if (node.from === 'record') continue;
      if (node.kind === 'json') lines.push(`if (typeof v === 'object' && v !== null) { if (pending) resolveDeep(v); walk(v, ctx); }`);
      else if (node.from === 'config')
        lines.push(`if (typeof v === 'string' && !clean.has(v)) { r = redact(v, ctx, rules); if (r !== v) ${value} = r; else remember(v); }`);
      else lines.push(`if (typeof v === 'string') { r = redact(v, ctx, rules); if (r !== v) ${value} = r; }`);
    }
  };
  visit(layout, 'event');
  if (ruled) return undefined;
  // Values of the pipeline file repeat on every line: each is run through the detectors until it is
  // known to hold nothing (a value that does is redacted, and counted, every time).
  let clean = new Set<string>();
  const remember = (v: string) => {
    if (clean.size >= MAX_CLEAN_VALUES) clean = new Set();
    clean.add(v);
  };
  const body = `return function pass(event, ctx) {\nlet v, r;\nconst clean = known();\nconst pending = isPending();\n${lines.join('\n')}\n};`;
  return new Function('redact', 'rules', 'walk', 'known', 'remember', 'isPending', 'resolveText', 'resolveDeep', body)(
    redactString,
    rules,
    walker.walk,
    () => clean,
    remember,
    deferred.pending,
    deferred.resolveText,
    deferred.resolveDeep,
  ) as BuiltEventPass;
}
