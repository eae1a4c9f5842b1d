/**
 * Compiles the dotted paths and `$` variables of pipeline files into getters once,
 * at start-up, so the hot path does no string parsing per line.
 */

export type PathGetter = (record: unknown) => unknown;

export function compilePath(path: string): PathGetter {
  const segments = path.split('.');
  if (segments.length === 1) {
    const [only] = segments as [string];
    return (r) => (r !== null && typeof r === 'object' ? (r as Record<string, unknown>)[only] : undefined);
  }
  return (r) => {
    let cur: unknown = r;
    for (const seg of segments) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
    return cur;
  };
}

/** What `$` variables read from: the facts the classifier and the builder already know about a request. */
export interface RequestFacts {
  record: unknown;
  path: string;
  method: string;
  status: number;
  instance: string;
  account: string;
  location: string;
  params: Record<string, string | undefined>;
  query: QueryParams;
}

/** A request's query parameters; read on demand, since most routes never look at them. */
export interface QueryParams {
  get(name: string): string | null;
}

export type FactGetter = (facts: RequestFacts) => unknown;

export function compileValueSource(source: string): FactGetter {
  if (source.startsWith('$param.')) {
    const name = source.slice('$param.'.length);
    return (f) => f.params[name];
  }
  if (source.startsWith('$query.')) {
    const name = source.slice('$query.'.length);
    return (f) => f.query.get(name) ?? undefined;
  }
  switch (source) {
    case '$path':
      return (f) => f.path;
    case '$method':
      return (f) => f.method;
    case '$status':
      return (f) => f.status;
    case '$instance':
      return (f) => f.instance || undefined;
    case '$account':
      return (f) => f.account || undefined;
    case '$location':
      return (f) => f.location;
    default: {
      const get = compilePath(source);
      return (f) => get(f.record);
    }
  }
}
