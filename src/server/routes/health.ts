import { json, type AppContext, type Reply, type RouteDef } from '../context.js';

/** Liveness: the process answers. A supervisor restarts it when this stops answering. */
const healthz = (): Reply => json(200, { status: 'ok' });

/**
 * Readiness: the store committed the last write it was given and the server is not stopping. A
 * load balancer sends shippers elsewhere meanwhile; they would get 503 here anyway.
 */
function readyz(_input: unknown, ctx: AppContext): Reply {
  const reasons = [ctx.state.stopping ? 'stopping' : '', ctx.state.storeFailing ? 'store failing' : ''].filter(Boolean);
  return json(reasons.length === 0 ? 200 : 503, { status: reasons.length === 0 ? 'ready' : 'not ready', reasons });
}

async function metrics(_input: unknown, ctx: AppContext): Promise<Reply> {
  return { status: 200, body: await ctx.metrics.registry.metrics(), contentType: ctx.metrics.registry.contentType };
}

export function healthRoutes(protectMetrics: boolean): RouteDef[] {
  return [
    { methods: ['GET', 'HEAD'], path: '/healthz', open: true, handler: healthz },
    { methods: ['GET', 'HEAD'], path: '/readyz', open: true, handler: readyz },
    { methods: ['GET'], path: '/metrics', open: !protectMetrics, handler: metrics },
  ];
}
