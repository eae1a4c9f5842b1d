/**
 * Sigma's condition language: selection names joined by `and`, `or`, `not` and parentheses,
 * and `1 of <pattern>` / `all of <pattern>` over selection names (`them` is every selection,
 * `sel_*` those starting with `sel_`). Precedence, tightest first: `not`, `and`, `or`.
 *
 *   expr    := andExpr ('or' andExpr)*
 *   andExpr := notExpr ('and' notExpr)*
 *   notExpr := 'not' notExpr | primary
 *   primary := '(' expr ')' | ('1' | 'any' | 'all') 'of' (name | pattern | 'them') | name
 */

export type ConditionNode =
  | { kind: 'ref'; name: string; column: number }
  | { kind: 'and' | 'or'; items: ConditionNode[] }
  | { kind: 'not'; item: ConditionNode }
  | { kind: 'of'; quantifier: 'one' | 'all'; pattern: string; column: number };

export class ConditionSyntaxError extends Error {
  /** 1-based column in the condition text */
  readonly column: number;
  constructor(message: string, column: number) {
    super(`${message} (column ${column})`);
    this.column = column;
  }
}

interface Token {
  text: string;
  column: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any', '1']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATTERN = /^[A-Za-z_*][A-Za-z0-9_*]*$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*([()]|[^\s()]+)/y;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    tokens.push({ text: m[1]!, column: pos + m[0].length - m[1]!.length + 1 });
    pos = re.lastIndex;
  }
  return tokens;
}

export function parseCondition(text: string): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  const end = text.length + 1;
  const peek = () => tokens[pos];
  const is = (word: string) => peek()?.text.toLowerCase() === word;
  const take = () => tokens[pos++]!;

  function expr(): ConditionNode {
    const items = [andExpr()];
    while (is('or')) {
      take();
      items.push(andExpr());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }
  function andExpr(): ConditionNode {
    const items = [notExpr()];
    while (is('and')) {
      take();
      items.push(notExpr());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }
  function notExpr(): ConditionNode {
    if (is('not')) {
      take();
      return { kind: 'not', item: notExpr() };
    }
    return primary();
  }
  function primary(): ConditionNode {
    const t = peek();
    if (!t) throw new ConditionSyntaxError('condition ends where a selection name was expected', end);
    if (t.text === '(') {
      take();
      const inner = expr();
      if (peek()?.text !== ')') throw new ConditionSyntaxError('missing ")"', peek()?.column ?? end);
      take();
      return inner;
    }
    const word = t.text.toLowerCase();
    if (word === '1' || word === 'any' || word === 'all') {
      take();
      if (!is('of')) throw new ConditionSyntaxError(`"${t.text}" must be followed by "of"`, peek()?.column ?? end);
      take();
      const target = peek();
      if (!target) throw new ConditionSyntaxError(`"${t.text} of" needs a selection pattern or "them"`, end);
      if (target.text.toLowerCase() !== 'them' && !PATTERN.test(target.text))
        throw new ConditionSyntaxError(`"${target.text}" is not a selection pattern`, target.column);
      take();
      return { kind: 'of', quantifier: word === 'all' ? 'all' : 'one', pattern: target.text.toLowerCase() === 'them' ? '*' : target.text, column: t.column };
    }
    if (KEYWORDS.has(word) || !NAME.test(t.text)) throw new ConditionSyntaxError(`unexpected "${t.text}"`, t.column);
    take();
    return { kind: 'ref', name: t.text, column: t.column };
  }

  const tree = expr();
  const rest = peek();
  if (rest) throw new ConditionSyntaxError(`unexpected "${rest.text}" after a complete condition`, rest.column);
  return tree;
}

/** Selection names a `1 of` / `all of` pattern covers, in declaration order. */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return names.filter((n) => re.test(n));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every selection name a condition refers to, directly or through a pattern. */
export function referencedSelections(node: ConditionNode, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const walk = (n: ConditionNode): void => {
    if (n.kind === 'ref') out.add(n.name);
    else if (n.kind === 'of') expandPattern(n.pattern, names).forEach((s) => out.add(s));
    else if (n.kind === 'not') walk(n.item);
    else n.items.forEach(walk);
  };
  walk(node);
  return out;
}
