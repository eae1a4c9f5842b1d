import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError } from '../errors.js';
import { pipelineJsonSchema, type PipelineConfig } from './pipeline-schema.js';
import { readConfigText, parseLocatedYaml } from './yaml-file.js';

/** The folder of bundled pipelines, found from this file so the CLI works from any directory. */
export const BUNDLED_PIPELINES_DIR = fileURLToPath(new URL('../../pipelines', import.meta.url));

export interface LoadedPipeline {
  file: string;
  config: PipelineConfig;
  /** Source line of each route key, so compile-time conflicts can name it. */
  lineOf: (pointer: string, key?: string) => number | undefined;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validatePipelineShape = ajv.compile<PipelineConfig>(pipelineJsonSchema);

/** Parses and validates one pipeline file, purely: no network, nothing built yet. */
export function loadPipelineFile(file: string): LoadedPipeline {
  return parsePipeline(readConfigText(file, 'pipeline file'), file);
}

export function parsePipeline(text: string, file: string): LoadedPipeline {
  const { value, lineOf } = parseLocatedYaml(text, file);
  if (!validatePipelineShape(value)) {
    const errors = validatePipelineShape.errors ?? [];
    // The first error leads (with its line); the rest are listed so one run shows every problem.
    const described = errors.map((e) => {
      const unknownKey = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      const badName = e.keyword === 'propertyNames' ? String(e.params.propertyName) : undefined;
      const line = lineOf(e.instancePath, unknownKey ?? badName);
      const what = unknownKey ? `unknown key "${unknownKey}"` : badName ? `invalid name "${badName}"` : `${e.instancePath || '/'} ${e.message}`;
      return {
        line,
        missing: e.keyword === 'required',
        text: `${what}${e.keyword === 'enum' ? ` (allowed: ${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
      };
    });
    // A misspelt key also shows up as a missing one: lead with what is wrong where it stands.
    described.sort((a, b) => Number(a.missing) - Number(b.missing) || (a.line ?? 0) - (b.line ?? 0));
    const first = described[0];
    const rest = described
      .slice(1)
      .map((d) => `\n  line ${d.line ?? '?'}: ${d.text}`)
      .join('');
    throw new ConfigError(`${first?.text ?? 'invalid pipeline'}${rest}`, { file, line: first?.line });
  }
  checkReferences(value, file, lineOf);
  return { file, config: value, lineOf };
}

/** Cross-field checks the JSON Schema cannot express. */
function checkReferences(config: PipelineConfig, file: string, lineOf: LoadedPipeline['lineOf']): void {
  const fail = (message: string, pointer: string, key?: string) => {
    throw new ConfigError(message, { file, line: lineOf(pointer, key) });
  };
  const prefix = `${config.service}.`;
  config.routes.forEach((group, i) => {
    if (!config.targets[group.target]) fail(`route group target "${group.target}" is not declared under targets`, `/routes/${i}`, 'target');
    for (const [key, action] of Object.entries(group.routes)) {
      if (!action.startsWith(prefix)) fail(`action "${action}" does not start with the service name "${config.service}."`, `/routes/${i}/routes`, key);
    }
  });
  for (const [key, action] of Object.entries(config.catchAll)) {
    if (!action.startsWith(prefix)) fail(`action "${action}" does not start with "${prefix}"`, '/catchAll', key);
  }
  for (const pattern of config.location.hosts) {
    try {
      new RegExp(pattern);
    } catch (e) {
      fail(`host pattern is not a valid regular expression: ${(e as Error).message}`, '/location/hosts');
    }
  }
}

/** Resolves `--pipeline` values: a bundled name (`key-protect`) or a path to a YAML file. Default: every bundled pipeline. */
export function resolvePipelineFiles(names: string[] | undefined): string[] {
  if (!names || names.length === 0) {
    return readdirSync(BUNDLED_PIPELINES_DIR)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort()
      .map((f) => join(BUNDLED_PIPELINES_DIR, f));
  }
  return names.map((n) => (n.includes('/') || n.endsWith('.yaml') || n.endsWith('.yml') ? resolve(n) : join(BUNDLED_PIPELINES_DIR, `${basename(n)}.yaml`)));
}
