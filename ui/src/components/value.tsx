import { textOf } from '../fields.js';
import { href } from '../route.js';

/** A keyed fingerprint, alone or inside a `[redacted:<kind> ...]` mark. */
const FINGERPRINT = /hmac-sha256:[0-9a-f]{64}/g;

/**
 * Any stored value, as text (Preact sets text nodes, never markup), with each fingerprint a link
 * to every event carrying it. Long fingerprints show their first digits; the link's title and
 * the list it opens have all of them.
 */
export function Value({ value }: { value: unknown }) {
  const text = textOf(value);
  const parts: (string | { fp: string })[] = [];
  let last = 0;
  for (const m of text.matchAll(FINGERPRINT)) {
    if (m.index! > last) parts.push(text.slice(last, m.index));
    parts.push({ fp: m[0] });
    last = m.index! + m[0].length;
  }
  if (parts.length === 0) return <>{text}</>;
  if (last < text.length) parts.push(text.slice(last));
  return (
    <>
      {parts.map((p, i) =>
        typeof p === 'string' ? (
          p
        ) : (
          <a key={i} class="fingerprint" href={href(['fingerprint', p.fp])} title={`every event carrying ${p.fp}`}>
            {`${p.fp.slice(0, 'hmac-sha256:'.length + 12)}…`}
          </a>
        ),
      )}
    </>
  );
}
