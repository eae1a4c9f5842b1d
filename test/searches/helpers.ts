import { parseSearch } from '../../src/searches/load.js';
import { planOf } from '../../src/searches/lint.js';
import type { ParamValues, Plan } from '../../src/searches/plan.js';

/** A plan from inline YAML, as a file named `inline.yaml` would give it. */
export function planFromYaml(yaml: string, params?: ParamValues): Plan {
  return planOf(parseSearch(yaml, 'inline.yaml'), params);
}

/** The header of an inline rule or search: everything but detection and correlation. */
export const RULE = 'id: inline-rule\ntitle: t\ntype: rule\nseverity: high\ndescription: d\n';
export const SEARCH = 'id: inline-search\ntitle: t\ntype: search\ndescription: d\n';
