import type { FieldName } from './pipeline-schema.js';

/**
 * Where each field the builder needs lives in a raw request log line. A pipeline
 * names a preset and may override single fields (nginx JSON, Envoy JSON...).
 * Paths are dotted; header names are lower case, as Node delivers them.
 */
export const PRESETS: Record<'pino-http', Record<FieldName, string>> = {
  'pino-http': {
    time: 'time',
    method: 'req.method',
    url: 'req.url',
    host: 'req.headers.host',
    instance: 'req.headers.bluemix-instance',
    correlationId: 'req.headers.correlation-id',
    userAgent: 'req.headers.user-agent',
    remoteAddress: 'req.remoteAddress',
    status: 'res.statusCode',
    requestId: 'req.id',
    initiatorId: 'auth.iamId',
    initiatorName: 'auth.name',
    principalType: 'auth.type',
    grantType: 'auth.grantType',
    account: 'account',
    errorMessage: 'err.message',
  },
};
