import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { ConfigError } from '../../errors.js';
import type { LoadedPipeline } from '../../config/load-pipeline.js';
import { HTTP_METHODS, type TargetKind } from '../../config/pipeline-schema.js';
import type { QueryParams } from '../../config/value-source.js';

/** What a request resolves to. `ignore` lines are counted as filtered, never stored. */
export type RouteMatchKind = 'route' | 'catchAll' | 'ignore';

export interface RouteEntry {
  kind: RouteMatchKind;
  /** The route key as written in the pipeline file (kept on the event for audits of the classifier). */
  key: string;
  action: string;
  target: TargetKind | undefined;
}

/** One router node's payload: the plain route and the `?name=value` variants sharing its method and path. */
interface RouterStore {
  plain?: RouteEntry;
  byQuery?: { param: string; values: Map<string, RouteEntry> };
}

export interface RouteMatch {
  entry: RouteEntry;
  params: Record<string, string | undefined>;
}

export interface RouteTable {
  /** `query` is parsed only when a `?action=` variant exists at the matched node. */
  match(method: string, path: string, query: QueryParams): RouteMatch | undefined;
}

const MAX_PARAM_LENGTH = 2048;
const ANY_METHOD = [...HTTP_METHODS] as HTTPMethod[];

/**
 * Builds the pipeline's routers once, compiled: explicit routes and ignore rules in
 * one, catch-alls in another consulted only on a miss. Within a router static
 * segments beat parameters, so the most specific declaration wins, which is the
 * precedence Key Protect itself applies to invalid requests.
 */
export function buildRouteTable(loaded: LoadedPipeline): RouteTable {
  const { config } = loaded;
  const explicit = new RouterBuilder(loaded.file);
  config.routes.forEach((group, i) => {
    const target = config.targets[group.target];
    for (const [key, action] of Object.entries(group.routes)) {
      explicit.add(key, { kind: 'route', key, action, target }, loaded.lineOf(`/routes/${i}/routes`, key));
    }
  });
  for (const [key, reason] of Object.entries(config.ignore)) {
    explicit.add(key, { kind: 'ignore', key, action: reason, target: undefined }, loaded.lineOf('/ignore', key));
  }
  const catchAll = new RouterBuilder(loaded.file);
  for (const [key, action] of Object.entries(config.catchAll)) {
    catchAll.add(key, { kind: 'catchAll', key, action, target: undefined }, loaded.lineOf('/catchAll', key));
  }
  const explicitRouter = explicit.build();
  const catchAllRouter = catchAll.build();

  return {
    match(method, path, query) {
      const found = explicitRouter.find(method as HTTPMethod, path);
      if (found) {
        const store = found.store as RouterStore;
        const selected = store.byQuery ? query.get(store.byQuery.param) : null;
        const entry = (selected !== null ? store.byQuery?.values.get(selected) : undefined) ?? store.plain;
        if (entry) return { entry, params: found.params };
        // A `?action=` route hit with an unknown or no action value: an invalid request.
      }
      const fallback = catchAllRouter.find(method as HTTPMethod, path);
      const entry = (fallback?.store as RouterStore | undefined)?.plain;
      return entry && fallback ? { entry, params: fallback.params } : undefined;
    },
  };
}

/** Groups route keys by method and path (several `?action=` variants share one router node), then registers them. */
class RouterBuilder {
  private readonly slots = new Map<string, { method: HTTPMethod; path: string; store: RouterStore; line: number | undefined }>();

  constructor(private readonly file: string) {}

  add(routeKey: string, entry: RouteEntry, line: number | undefined): void {
    const [methodPart, pathAndQuery] = routeKey.split(' ', 2) as [string, string];
    const [path, query] = pathAndQuery.split('?', 2) as [string, string | undefined];
    const methods = methodPart === '*' ? ANY_METHOD : (methodPart.split('|') as HTTPMethod[]);
    for (const method of methods) {
      const id = `${method} ${path}`;
      const slot = this.slots.get(id) ?? { method, path, store: {}, line };
      this.slots.set(id, slot);
      if (!query) {
        if (slot.store.plain) throw new ConfigError(`route "${routeKey}" is declared twice (${id})`, { file: this.file, line });
        slot.store.plain = entry;
        continue;
      }
      const [param, value] = query.split('=', 2) as [string, string];
      slot.store.byQuery ??= { param, values: new Map() };
      if (slot.store.byQuery.param !== param) {
        throw new ConfigError(`route "${routeKey}" selects on ?${param}= but ${id} already selects on ?${slot.store.byQuery.param}=`, {
          file: this.file,
          line,
        });
      }
      if (slot.store.byQuery.values.has(value)) throw new ConfigError(`route "${routeKey}" is declared twice`, { file: this.file, line });
      slot.store.byQuery.values.set(value, entry);
    }
  }

  build() {
    // URL-encoded CRNs (registrations, endpoints) are far longer than find-my-way's default 100-character parameter limit.
    const router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true, maxParamLength: MAX_PARAM_LENGTH });
    for (const [id, slot] of this.slots) {
      try {
        router.on(slot.method, slot.path, () => undefined, slot.store);
      } catch (cause) {
        throw new ConfigError(`route ${id} conflicts with another route: ${(cause as Error).message}`, { file: this.file, line: slot.line }, { cause });
      }
    }
    return router.compile();
  }
}
