import { errors, type estypes } from '@elastic/elasticsearch';
import { openClusters, type Cluster } from './clusters.js';
import type { ElasticsearchConfig } from './config.js';
import { requestError } from './setup.js';
import { INDEX_PATTERN, locationOfStream, streamName } from './templates.js';

/**
 * Reading back what the loader stored: searches (query DSL and aggregations in, hits and buckets
 * out) and the export scan, each location read from its own data stream on its own cluster. A
 * stream found on a cluster that does not hold its location (by the configuration) is not read:
 * data residency holds for reading as for writing.
 */

/** `index.max_result_window`'s default: one request returns at most this many hits. */
export const MAX_PAGE = 10_000;
/** Events per page of an export: large enough to amortise a request, small enough to stream. */
export const EXPORT_PAGE = 1_000;

export interface LocatedStream {
  location: string;
  stream: string;
  cluster: Cluster;
}

export interface SearchHit {
  id: string;
  /** Backing index the document is in */
  index: string;
  source: Record<string, unknown> | undefined;
  /** Sort values, when the search is sorted */
  sort: estypes.SortResults | undefined;
}

/** One search's answer from one cluster, over the locations it holds. */
export interface ClusterAnswer {
  cluster: string;
  locations: string[];
  hits: SearchHit[];
  /** Matching documents, when the search tracks them */
  total: number | undefined;
  aggregations: Record<string, unknown> | undefined;
}

export interface SearchRequest {
  /** Only this location; default every location each cluster holds */
  location?: string;
  /** Query DSL body: `query`, `aggs`, `sort`, `size`, `_source`... (no `index`: the locations decide it) */
  body: Record<string, unknown>;
}

export interface EventFilter {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
}

export interface EventSearch {
  /** Locations with a stream on their own cluster (or only the one asked for), in stream-name order */
  locations(only?: string): Promise<LocatedStream[]>;
  /**
   * Runs one search on every cluster holding a wanted location, concurrently. A sorted search asking
   * for more than `MAX_PAGE` hits is read in pages with `search_after`; aggregations come from the first.
   */
  search(request: SearchRequest): Promise<ClusterAnswer[]>;
  /** Stored events as JSON text, location by location in stream-name order, each ordered by time and id. */
  events(filter: EventFilter): AsyncGenerator<string[]>;
  close(): Promise<void>;
}

export interface EventSearchOptions {
  /** Hits per request when paging (default `MAX_PAGE` for searches, `EXPORT_PAGE` for exports) */
  pageSize?: number;
}

/** The order the export and the DuckDB store share: `@timestamp`, then the event id. */
const TIME_ID_SORT = [{ '@timestamp': { order: 'asc' } }, { id: { order: 'asc' } }] as const;

function isNotFound(e: unknown): boolean {
  return e instanceof errors.ResponseError && e.statusCode === 404;
}

function timeFilter(filter: EventFilter): estypes.QueryDslQueryContainer {
  const range: Record<string, unknown> = { format: 'epoch_millis' };
  if (filter.sinceMs !== undefined) range.gte = Math.floor(filter.sinceMs);
  if (filter.untilMs !== undefined) range.lt = Math.floor(filter.untilMs);
  return filter.sinceMs === undefined && filter.untilMs === undefined ? { match_all: {} } : { range: { '@timestamp': range } };
}

export function openEventSearch(config: ElasticsearchConfig, opts: EventSearchOptions = {}): EventSearch {
  const clusters = openClusters(config);
  const searchPage = opts.pageSize ?? MAX_PAGE;
  const exportPage = opts.pageSize ?? EXPORT_PAGE;

  const streamsOn = async (cluster: Cluster): Promise<LocatedStream[]> => {
    let names: string[];
    try {
      const r = await cluster.queue.add(() => cluster.client.indices.getDataStream({ name: INDEX_PATTERN }));
      names = (r?.data_streams ?? []).map((d) => d.name);
    } catch (e) {
      if (!isNotFound(e)) throw requestError(cluster, `GET _data_stream/${INDEX_PATTERN}`, e);
      names = [];
    }
    return names.flatMap((stream) => {
      const location = locationOfStream(stream);
      return location !== undefined && clusters.of(location) === cluster ? [{ location, stream, cluster }] : [];
    });
  };

  const locations = async (only?: string): Promise<LocatedStream[]> => {
    if (only !== undefined) {
      // Asked by name: searched where it lives, without listing; a stream not there yet is simply empty.
      const cluster = clusters.of(only);
      return cluster ? [{ location: only, stream: streamName(only), cluster }] : [];
    }
    const found = (await Promise.all(clusters.all.map(streamsOn))).flat();
    return found.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  };

  const send = async (
    cluster: Cluster,
    streams: readonly string[],
    body: Record<string, unknown>,
  ): Promise<estypes.SearchResponse<Record<string, unknown>>> => {
    const request = { ...body, index: streams.join(','), ignore_unavailable: true, allow_no_indices: true } as estypes.SearchRequest;
    try {
      return (await cluster.queue.add(() => cluster.client.search<Record<string, unknown>>(request)))!;
    } catch (e) {
      throw requestError(cluster, `search of ${streams.join(',')}`, e);
    }
  };

  const hitOf = (h: estypes.SearchHit<Record<string, unknown>>): SearchHit => ({ id: h._id ?? '', index: h._index, source: h._source, sort: h.sort });
  const totalOf = (t: estypes.SearchResponse['hits']['total']): number | undefined => (t === undefined ? undefined : typeof t === 'number' ? t : t.value);

  const searchCluster = async (cluster: Cluster, located: LocatedStream[], body: Record<string, unknown>): Promise<ClusterAnswer> => {
    const streams = located.map((l) => l.stream);
    const wanted = typeof body.size === 'number' ? body.size : 10;
    // Only a sorted search can be paged; any other is sent as asked (and refused past the result window).
    let asked = body.sort === undefined ? wanted : Math.min(wanted, searchPage);
    const first = await send(cluster, streams, { ...body, size: asked });
    const hits = first.hits.hits.map(hitOf);
    let got = hits.length;
    const { aggs: _aggs, aggregations: _aggregations, ...paging } = body;
    // A full page means there may be more: read on after its last hit until enough or a short page.
    while (body.sort !== undefined && got === asked && got > 0 && hits.length < wanted) {
      asked = Math.min(wanted - hits.length, searchPage);
      const next = await send(cluster, streams, { ...paging, size: asked, track_total_hits: false, search_after: hits.at(-1)!.sort });
      got = next.hits.hits.length;
      hits.push(...next.hits.hits.map(hitOf));
    }
    return {
      cluster: cluster.name,
      locations: located.map((l) => l.location),
      hits,
      total: totalOf(first.hits.total),
      aggregations: first.aggregations as Record<string, unknown> | undefined,
    };
  };

  return {
    locations,
    async search(request) {
      const byCluster = new Map<Cluster, LocatedStream[]>();
      for (const l of await locations(request.location)) (byCluster.get(l.cluster) ?? byCluster.set(l.cluster, []).get(l.cluster)!).push(l);
      return Promise.all([...byCluster].map(([cluster, located]) => searchCluster(cluster, located, request.body)));
    },
    async *events(filter) {
      for (const { cluster, stream } of await locations(filter.location)) {
        let after: estypes.SortResults | undefined;
        for (;;) {
          const r = await send(cluster, [stream], {
            query: timeFilter(filter),
            sort: TIME_ID_SORT,
            size: exportPage,
            track_total_hits: false,
            ...(after ? { search_after: after } : {}),
          });
          const page = r.hits.hits;
          // `_source` is the event JSON the loader sent, as parsed by the client: serialising it again gives the same text.
          if (page.length > 0) yield page.map((h) => JSON.stringify(h._source));
          if (page.length < exportPage) break;
          after = page.at(-1)!.sort;
        }
      }
    },
    close: () => clusters.close(),
  };
}
