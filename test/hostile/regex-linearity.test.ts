import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { check } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMBINED, ENVOY } from '../../src/formats/access-log/parse.js';

/**
 * Every regular expression in src/ that input reaches is checked by recheck's automaton checker, which decides from
 * the expression alone (nothing is timed) whether backtracking on a match attempt at every start
 * is linear in the input; docs/security/regex-linearity.md lists them and says why this holds.
 */

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

interface Found {
  where: string;
  source: string;
  flags: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Regex literals, and every `new RegExp(...)` call site (whose pattern is not a literal). */
function regexesIn(file: string): { literals: Found[]; built: string[] } {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const literals: Found[] = [];
  const built: string[] = [];
  const where = (n: ts.Node) => `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const text = node.getText(sf);
      const end = text.lastIndexOf('/');
      literals.push({ where: where(node), source: text.slice(1, end), flags: text.slice(end + 1) });
    } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText(sf) === 'RegExp') {
      built.push(where(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { literals, built };
}

/**
 * The automaton checker takes no lookarounds. Ours are single characters (`(?<![A-Z0-9])`,
 * `(?<=^|[^A-Za-z0-9_-]|\\[nrt])`): one O(1) look each time a match is tried. Checked instead is the
 * expression that consumes that character (`(?:^|[^A-Za-z0-9_-]|\\[nrt])`), which tries the same
 * starts one character earlier and backtracks the same way.
 */
function consumeLookarounds(source: string): string {
  return source
    .replace(/\(\?<=/g, '(?:')
    .replace(/\(\?<!\[([^\]]*)\]\)/g, '(?:^|[^$1])')
    .replace(/\(\?!\[([^\]]*)\]\)/g, '(?:$|[^$1])');
}

/**
 * A bounded repetition (`{0,63}`) makes the automaton large enough to time the checker out. Widened
 * to `*` or `+`, the expression accepts more and backtracks at least as much, so linear widened
 * means linear as written.
 */
function widenBounds(source: string): string {
  return source.replace(/\{0,\d+\}/g, '*').replace(/\{[1-9]\d*(?:,\d*)?\}/g, '+');
}

/** Per expression; the slowest exact check takes about 2 s with recheck's native backend, 10 s with its pure-JS one. */
const CHECK_MS = 15_000;

type Verdict = { status: string; complexity?: string; error?: string };

async function verdict(source: string, flags: string, checker: 'automaton' | 'fuzz' = 'automaton'): Promise<Verdict> {
  const checked = (src: string, timeout = CHECK_MS) => check(src, flags, { checker, timeout });
  const exact = consumeLookarounds(source);
  let r = await checked(exact);
  if (r.status === 'unknown' && r.error.kind === 'timeout') {
    // Widened and safe proves the written form safe; widened and unsafe proves nothing (an unbounded
    // scheme is quadratic where `{0,31}` is not), so the written form is checked again with more time:
    // on a loaded 2-core machine the first exact check can run past CHECK_MS.
    const widened = await checked(widenBounds(exact));
    r = widened.status === 'safe' ? widened : await checked(exact, 4 * CHECK_MS);
  }
  return r.status === 'unknown' ? { status: r.status, error: r.error.kind } : { status: r.status, complexity: r.complexity.type };
}

/** Those that are not `safe`, checked together (the checker's agent works on several at once). */
async function unsafe<T extends { source: string; flags: string }>(regexes: T[]): Promise<(T & Verdict)[]> {
  const verdicts = await Promise.all(regexes.map(async (r) => ({ ...r, ...(await verdict(r.source, r.flags)) })));
  return verdicts.filter((v) => v.status !== 'safe');
}

/**
 * The folders whose code runs on what arrives: lines, records, events built from them, request
 * paths and bodies. `cli`, `config` and `searches` run on the operator's own arguments and files.
 */
const INPUT_FOLDERS = ['formats', 'transforms', 'sources', 'run', 'model', 'profiles', 'server', 'sinks'];

/**
 * Literals that never see a line, with why; the test fails when one of them is gone, so the list
 * stays true. Everything else in src/ is checked, including what only touches configuration.
 */
const NOT_ON_INPUT: Record<string, string> = {
  'src/sinks/duckdb/store-lock.ts': "DuckDB's own lock-conflict message, read once when the store cannot be opened",
};

/**
 * `new RegExp` call sites and what each builds: checked here too, or bounded and said why.
 * A new call site fails the test until it is placed in this list.
 */
const BUILT: Record<string, string> = {
  'src/formats/access-log/parse.ts:17': 'COMBINED, checked below',
  'src/formats/access-log/parse.ts:25': 'ENVOY, checked below',
  'src/transforms/classify/compiled-pipeline.ts:32':
    "pipeline host patterns: the bundled ones are checked below; an operator's own are not (docs/security/regex-linearity.md, Open)",
};

describe('regular expressions', () => {
  const files = INPUT_FOLDERS.flatMap((d) => tsFiles(join(SRC, d)));
  const found = files.map(regexesIn);
  const literals = found.flatMap((f) => f.literals);

  it('finds the expressions in src/ (the scan works)', () => {
    expect(literals.length).toBeGreaterThan(80);
    expect(literals.some((l) => l.where.startsWith('src/transforms/redact/patterns.ts'))).toBe(true);
  });

  it('every literal in src/ that may see input is linear for the automaton checker', async () => {
    const exempt = (l: Found) => Object.keys(NOT_ON_INPUT).some((f) => l.where.startsWith(`${f}:`));
    for (const f of Object.keys(NOT_ON_INPUT))
      expect(
        literals.some((l) => l.where.startsWith(`${f}:`)),
        f,
      ).toBe(true);
    expect(await unsafe(literals.filter((l) => !exempt(l)))).toEqual([]);
  }, 180_000);

  it('the bundled pipelines host patterns are linear, and the access-log expressions show no super-linear step count', async () => {
    const hosts = readdirSync(join(ROOT, 'pipelines'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) =>
        ((parse(readFileSync(join(ROOT, 'pipelines', f), 'utf8')) as { location: { hosts: string[] } }).location.hosts ?? []).map((h) => ({
          where: f,
          source: h,
          flags: '',
        })),
      );
    expect(hosts.length).toBeGreaterThan(1);
    expect(await unsafe(hosts)).toEqual([]);
    // Too large for the automaton checker within any sensible time: the fuzz checker runs them in
    // recheck's own matcher on generated attack strings and counts backtracking steps as the
    // input grows (no clock); docs/security/regex-linearity.md gives the argument by structure.
    for (const re of [COMBINED, ENVOY]) expect(await verdict(re.source, re.flags, 'fuzz'), re.source).toMatchObject({ status: 'safe' });
  });

  it('every `new RegExp` call site is accounted for', () => {
    expect(found.flatMap((f) => f.built).sort()).toEqual(Object.keys(BUILT).sort());
  });

  it('the checker does catch a quadratic and an exponential expression (it is not vacuous)', async () => {
    expect(await verdict('([A-Za-z][A-Za-z0-9+.-]*://[^\\s:@/?#"\'\\\\]*:)([^\\s@/?#"\'\\\\]+)@', 'g')).toMatchObject({
      status: 'vulnerable',
      complexity: 'polynomial',
    });
    expect(await verdict('0+$', '')).toMatchObject({ status: 'vulnerable', complexity: 'polynomial' });
    expect(await verdict('^(a+)+$', '')).toMatchObject({ status: 'vulnerable', complexity: 'exponential' });
    expect(await verdict('(?<=^|[^A-Za-z0-9_-])(a|a)*b', '')).toMatchObject({ status: 'vulnerable' });
    expect(await verdict('([A-Za-z][A-Za-z0-9+.-]*://[^\\s:@/?#"\'\\\\]*:)([^\\s@/?#"\'\\\\]+)@', 'g', 'fuzz')).toMatchObject({ status: 'vulnerable' });
  });
});
