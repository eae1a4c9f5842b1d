import type { TextInputFormat } from '../format.js';
import { buildFromPresetRecord, pipelinesOfKind, presetRecordOf, type HttpRequestFacts } from '../http-request.js';
import { parseCombinedLine, parseEnvoyLine } from './parse.js';

/**
 * Text access logs through the same route classification as service logs. They carry no
 * IAM identity and (nginx combined) no host: the pipeline's `location.default` and `defaults`
 * (instance, account, initiator) stand in, and the route picks the pipeline when the host cannot.
 */
function accessLogFormat(name: string, parse: (line: string) => HttpRequestFacts | undefined): TextInputFormat {
  return {
    name,
    parseText(line) {
      const facts = parse(line);
      return facts ? presetRecordOf(facts) : undefined;
    },
    toEvent: (record, ctx) => buildFromPresetRecord(record, pipelinesOfKind(ctx.pipelines, 'http'), ctx, name),
  };
}

/** nginx and Apache `combined` (and Apache `common`). */
export const accessCombined = accessLogFormat('access-combined', parseCombinedLine);
/** Envoy's default access log format. */
export const accessEnvoy = accessLogFormat('access-envoy', parseEnvoyLine);
