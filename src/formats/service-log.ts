import { buildRequestEvent } from '../transforms/build/event.js';
import { classifyRequest } from '../transforms/classify/classify.js';
import type { JsonInputFormat } from './format.js';

/**
 * A service's own HTTP request log as JSON lines (pino-http and shapes mapped by
 * pipeline field locations): classified by route, then built into an event.
 */
export const serviceLog: JsonInputFormat = {
  name: 'service-log',
  detect: (record) => typeof record.req === 'object' && record.req !== null,
  toEvent(record, ctx) {
    const classified = classifyRequest(record, ctx.pipelines, ctx.forcedPipeline);
    if (classified.kind !== 'classified') return classified;
    return {
      kind: 'event',
      event: buildRequestEvent(classified, ctx.ids, { source: ctx.source, line: ctx.line, format: 'service-log', keyId: ctx.keyId }),
      built: 'from-record',
    };
  },
};
