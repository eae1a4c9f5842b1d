import { join } from 'node:path';
import { AuditlineError } from '../errors.js';
import { isSearchFile, loadSearchFile, loadSearchFolder, type LoadedSearch, type SearchIssue } from './load.js';
import { buildPlan, type ParamValues, type Plan } from './plan.js';

/**
 * The linter: every search of a folder checked in one pass (shape, field names against the field
 * table, conditions, parameters, correlation references), every problem reported with its line.
 * The same pass (plan.ts) builds what the compilers run, so what lints clean compiles.
 */
export function lintSearches(searches: readonly LoadedSearch[]): SearchIssue[] {
  const issues: SearchIssue[] = [];
  const ids = new Map<string, string>();
  for (const s of searches) {
    issues.push(...buildPlan(s, undefined).issues);
    const id = s.definition?.id;
    if (id === undefined) continue;
    const first = ids.get(id);
    if (first !== undefined) issues.push({ file: s.file, line: s.lineOf('', 'id'), message: `id "${id}" is already the id of ${first}` });
    else ids.set(id, s.file);
  }
  return issues.sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1));
}

export function lintFolder(dir: string): SearchIssue[] {
  return lintSearches(loadSearchFolder(dir));
}

export function formatIssue(i: SearchIssue): string {
  return `${i.file}:${i.line ?? 1}: ${i.message}`;
}

/** The plan of one search, or AL_SEARCH_INVALID naming the first problem's file:line and listing the rest. */
export function planOf(search: LoadedSearch, params: ParamValues | undefined): Plan {
  const { plan, issues } = buildPlan(search, params);
  if (plan) return plan;
  const [first, ...rest] = issues;
  throw new AuditlineError('AL_SEARCH_INVALID', `${first?.message ?? 'invalid search'}${rest.map((i) => `\n  ${formatIssue(i)}`).join('')}`, {
    file: search.file,
    line: first?.line,
  });
}

/** A search by name (its file's slug) in a folder, or by path to a YAML file. */
export function findSearch(name: string, dir: string): LoadedSearch {
  if (name.includes('/') || isSearchFile(name)) return loadSearchFile(name);
  const all = loadSearchFolder(dir);
  const found = all.find((s) => s.name === name || s.definition?.id === name);
  if (!found) throw new AuditlineError('AL_SEARCH_NOT_FOUND', `no search named "${name}" in ${dir} (known: ${all.map((s) => s.name).join(', ') || 'none'})`);
  return found;
}

export function searchPath(dir: string, name: string): string {
  return join(dir, `${name}.yaml`);
}
