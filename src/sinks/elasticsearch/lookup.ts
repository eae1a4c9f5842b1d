import type { Client } from '@elastic/elasticsearch';

/** `index.max_result_window`'s default: one search returns at most this many hits. */
const IDS_PER_SEARCH = 10_000;

/**
 * Which of these ids a data stream already holds, in every backing index (`create` alone only sees
 * the write index). The time range lets Elasticsearch skip backing indices outside it: an id is
 * derived from its line, and the line fixes the event's time, so a stored copy is always inside.
 * A stream that does not exist yet holds nothing.
 */
export async function existingIds(client: Client, stream: string, ids: readonly string[], range: { minMs: number; maxMs: number }): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < ids.length; start += IDS_PER_SEARCH) {
    const values = ids.slice(start, start + IDS_PER_SEARCH);
    const response = await client.search({
      index: stream,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: values.length,
      _source: false,
      track_total_hits: false,
      query: { bool: { filter: [{ ids: { values } }, { range: { '@timestamp': { gte: range.minMs, lte: range.maxMs, format: 'epoch_millis' } } }] } },
    });
    for (const hit of response.hits.hits) if (hit._id !== undefined) found.add(hit._id);
  }
  return found;
}
