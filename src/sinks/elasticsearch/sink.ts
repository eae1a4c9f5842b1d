import type { StoredEvent } from '../../model/records.js';
import { COMMITTED, DUPLICATE, rejected, SinkError, type EventOutcome, type EventSink } from '../sink.js';
import { outcomesOf, planRequests, requestFailure, type BulkItem, type BulkRequest, type RequestFailure } from './bulk.js';
import { openClusters, type Cluster } from './clusters.js';
import type { ElasticsearchConfig } from './config.js';
import { existingIds } from './lookup.js';
import { checkCluster, requestError, setupCluster, type SetupChange } from './setup.js';
import { streamName } from './templates.js';

export interface ElasticsearchSinkOptions {
  /** Set every cluster up at open (`ingest --setup`) instead of refusing one that is not. Default false. */
  setup?: boolean;
  /** Streams to create at setup besides the configured locations' */
  setupLocations?: readonly string[];
  /** What setup did, per cluster */
  onSetup?: (changes: SetupChange[]) => void;
}

/** Counters of the bulk path, for the run's report and the bench. */
export interface ElasticsearchSinkStats {
  bulkRequests: number;
  /** Bulk requests and look-ups that got no usable answer */
  failedRequests: number;
  /** Uncompressed bulk body bytes sent */
  bytesSent: number;
  lookups: number;
  /** Events answered by a bulk response (any status) */
  itemsAnswered: number;
}

export interface ElasticsearchSink extends EventSink {
  stats(): ElasticsearchSinkStats;
}

/**
 * The Elasticsearch sink: each event to its location's data stream on its location's cluster,
 * as a bulk `create` with the event id as `_id`. Per write: route by location, look the ids up
 * (optional, `searchBeforeCreate`), cut the rest into requests by bytes, send them with bounded
 * concurrency per cluster, and read one outcome per event from the answers.
 *
 * Nothing is retried here: a retriable outcome goes back to the engine, whose policy resends only
 * those events. A request that got no answer leaves its events "in doubt" (the cluster may have
 * stored them); when one of them is later found stored (409 or look-up), it was this sink that
 * stored it, since it was absent before the first try, so it counts as committed, not a duplicate.
 */
export async function openElasticsearchSink(config: ElasticsearchConfig, opts: ElasticsearchSinkOptions = {}): Promise<ElasticsearchSink> {
  const clusters = openClusters(config);
  try {
    for (const cluster of clusters.all) {
      try {
        await cluster.client.info();
      } catch (e) {
        throw requestError(cluster, 'the start-up check (GET /)', e);
      }
      if (opts.setup) {
        const changes = await setupCluster(cluster, config.ilm, opts.setupLocations);
        opts.onSetup?.(changes);
      } else await checkCluster(cluster);
    }
  } catch (e) {
    await clusters.close();
    throw e;
  }

  const inDoubt = new Set<string>();
  const stats: ElasticsearchSinkStats = { bulkRequests: 0, failedRequests: 0, bytesSent: 0, lookups: 0, itemsAnswered: 0 };
  const noCluster = config.file ? `no cluster in ${config.file} lists location` : 'no cluster holds location';

  /** An event found already stored: ours if an unanswered request of ours carried it. */
  const found = (id: string): EventOutcome => (inDoubt.delete(id) ? COMMITTED : DUPLICATE);

  const failed = (items: readonly { slot: number; id: string }[], failure: RequestFailure, outcomes: EventOutcome[]) => {
    stats.failedRequests++;
    for (const { slot, id } of items) {
      outcomes[slot] = rejected('request_failed', failure.reason, failure.retriable);
      if (failure.inDoubt) inDoubt.add(id);
    }
  };

  const lookUp = async (
    cluster: Cluster,
    events: readonly StoredEvent[],
    slots: number[],
    outcomes: EventOutcome[],
  ): Promise<{ toSend: number[]; answered: number; failures: RequestFailure[] }> => {
    const byStream = new Map<string, number[]>();
    for (const slot of slots) {
      const stream = streamName(events[slot]!.location);
      (byStream.get(stream) ?? byStream.set(stream, []).get(stream)!).push(slot);
    }
    const toSend: number[] = [];
    const failures: RequestFailure[] = [];
    let answered = 0;
    await Promise.all(
      [...byStream].map(async ([stream, group]) => {
        const ids = group.map((s) => events[s]!.id);
        let minMs = Infinity;
        let maxMs = -Infinity;
        for (const s of group) {
          minMs = Math.min(minMs, events[s]!.time);
          maxMs = Math.max(maxMs, events[s]!.time);
        }
        stats.lookups++;
        try {
          const stored = (await cluster.queue.add(() => existingIds(cluster.client, stream, ids, { minMs, maxMs }))) ?? new Set<string>();
          for (const s of group) {
            if (stored.has(events[s]!.id)) {
              outcomes[s] = found(events[s]!.id);
              answered++;
            } else toSend.push(s);
          }
        } catch (e) {
          const failure = requestFailure(e);
          failures.push({ ...failure, reason: `look-up in ${stream}: ${failure.reason}` });
          failed(
            group.map((slot) => ({ slot, id: events[slot]!.id })),
            { ...failure, inDoubt: false },
            outcomes,
          );
        }
      }),
    );
    return { toSend: toSend.sort((a, b) => a - b), answered, failures };
  };

  const send = async (cluster: Cluster, request: BulkRequest, outcomes: EventOutcome[]): Promise<{ answered: number; failure?: RequestFailure }> => {
    stats.bulkRequests++;
    stats.bytesSent += request.bytes;
    let got: EventOutcome[] | undefined;
    let failure: RequestFailure | undefined;
    try {
      const response = await cluster.client.bulk({
        // One pre-built NDJSON string: the client's serialiser ends each element with a newline.
        operations: [request.body],
        refresh: false,
        require_data_stream: true,
        filter_path: ['errors', 'items.*.status', 'items.*.error'],
      });
      got = outcomesOf(response, request.items.length);
      if (!got) failure = { reason: `the bulk answer does not have ${request.items.length} items`, retriable: true, inDoubt: true };
    } catch (e) {
      failure = requestFailure(e);
    }
    if (!got) {
      failed(request.items, failure!, outcomes);
      return { answered: 0, failure: failure! };
    }
    request.items.forEach(({ slot, id }, k) => {
      const outcome = got[k]!;
      if (outcome.status === 'committed') inDoubt.delete(id);
      else if (outcome.status === 'rejected' && !outcome.retriable) inDoubt.delete(id);
      outcomes[slot] = outcome.status === 'duplicate' ? found(id) : outcome;
    });
    stats.itemsAnswered += request.items.length;
    return { answered: request.items.length };
  };

  const writeCluster = async (cluster: Cluster, events: readonly StoredEvent[], slots: number[], outcomes: EventOutcome[]) => {
    const looked = config.searchBeforeCreate ? await lookUp(cluster, events, slots, outcomes) : { toSend: slots, answered: 0, failures: [] };
    const { toSend } = looked;
    const items: BulkItem[] = toSend.map((slot) => {
      const e = events[slot]!;
      return { slot, stream: streamName(e.location), id: e.id, json: e.json };
    });
    const sent = await Promise.all(planRequests(items, config.bulk.maxBytes).map(async (r) => (await cluster.queue.add(() => send(cluster, r, outcomes)))!));
    return {
      // Found by the look-up counts: an in-doubt event found there was settled as committed and must not be resent.
      answered: looked.answered + sent.reduce((n, s) => n + s.answered, 0),
      failures: [...looked.failures, ...sent.flatMap((s) => (s.failure ? [s.failure] : []))],
    };
  };

  return {
    name: 'elasticsearch',
    async write(events) {
      const outcomes = new Array<EventOutcome>(events.length);
      const work = new Map<Cluster, number[]>();
      events.forEach((event, slot) => {
        const cluster = clusters.of(event.location);
        // Data residency: an event without its own cluster is refused, never sent to another.
        if (!cluster) outcomes[slot] = rejected('no_cluster_for_location', `${noCluster} "${event.location}"`, false);
        else (work.get(cluster) ?? work.set(cluster, []).get(cluster)!).push(slot);
      });
      const results = await Promise.all([...work].map(([cluster, slots]) => writeCluster(cluster, events, slots, outcomes)));
      const failures = results.flatMap((r) => r.failures);
      // Only when no event was acknowledged may the write fail as a whole: the engine then resends all of it.
      if (failures.length > 0 && results.every((r) => r.answered === 0)) {
        throw new SinkError(`elasticsearch: ${failures[0]!.reason}`, { retriable: failures.every((f) => f.retriable) });
      }
      return outcomes;
    },
    stats: () => ({ ...stats }),
    async close() {
      await clusters.close();
    },
  };
}
