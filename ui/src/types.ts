/** What the query routes answer, as the page reads it. */

export type AuditEvent = Record<string, unknown> & { id: string; '@timestamp': string; action: string; outcome: string; location: string };

export interface StoreSpan {
  locations: string[];
  events: number;
  first: string | null;
  last: string | null;
}

export interface Overview {
  since: string;
  until: string;
  location: string | null;
  locations: string[];
  bucketMs: number;
  buckets: number[];
  series: { location: string; outcome: string; counts: number[] }[];
  total: number;
  failures: number;
  failureRate: number;
  topActions: { action: string; count: number; failures: number }[];
  findingsBySeverity: Record<string, number>;
  findings: number;
}

export interface ParameterSpec {
  type: 'string' | 'integer' | 'boolean';
  description: string;
  default?: string | number | boolean;
  required?: boolean;
}

export interface SearchSummary {
  name: string;
  id?: string;
  type?: 'search' | 'rule';
  title?: string;
  description?: string;
  severity?: string | null;
  techniques?: string[];
  parameters?: Record<string, ParameterSpec>;
  fields?: string[];
  issues?: string[];
}

export interface Finding {
  rule: string;
  name: string;
  title: string;
  severity: string;
  location: string;
  group: Record<string, string | number | boolean | null>;
  count: number;
  windowStart: string;
  firstSeen: string;
  lastSeen: string;
  sampleEventIds: string[];
  techniques: string[];
  values?: (string | number | boolean)[];
}

export interface SearchPage {
  search: string;
  name: string;
  kind: 'events' | 'findings';
  fields: string[];
  total: number;
  offset?: number;
  limit?: number;
  sort?: string;
  order?: 'asc' | 'desc';
  events?: AuditEvent[];
  findings?: Finding[];
}
