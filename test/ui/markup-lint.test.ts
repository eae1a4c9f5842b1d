import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** The lint rule that keeps the page from ever turning a value into markup (`npm run lint` checks the source with it). */
describe("the page's source", () => {
  it('may not set HTML from a value: dangerouslySetInnerHTML, innerHTML and insertAdjacentHTML fail the lint', async () => {
    // Without the type checker: the rule is syntactic, and loading the project would take seconds.
    const eslint = new ESLint({
      cwd: ROOT,
      overrideConfig: {
        languageOptions: { parserOptions: { projectService: false, project: null } },
        rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
      },
    });
    const code = [
      'export const A = ({ v }: { v: string }) => <div dangerouslySetInnerHTML={{ __html: v }} />;',
      'export function b(el: HTMLElement, v: string): void {',
      '  el.innerHTML = v;',
      "  el.insertAdjacentHTML('beforeend', v);",
      '}',
      '',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, 'ui/src/components/value.tsx') });
    const restricted = result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax');
    expect(restricted.map((m) => m.line)).toEqual([1, 3, 4]);
  }, 60_000);
});
