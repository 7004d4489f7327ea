import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../http/context.ts';
import { checkReadiness } from './readiness.ts';

const HealthSchema = z
  .object({ status: z.literal('ok').openapi({ example: 'ok' }) })
  .openapi('Health');

const NotReadySchema = z
  .object({
    status: z.literal('unavailable'),
    reason: z.string().openapi({ description: 'Why the instance cannot serve traffic', example: 'database unreachable' }),
  })
  .openapi('NotReady');

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process is up',
  security: [],
  responses: { 200: { description: 'The process is up', content: { 'application/json': { schema: HealthSchema } } } },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: the database is reachable and fully migrated',
  security: [],
  responses: {
    200: { description: 'Ready to serve', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'Not ready, with the reason', content: { 'application/json': { schema: NotReadySchema } } },
  },
});

/** `GET /healthz` and `GET /readyz`: the probes Fly's checks (and any load balancer) call. */
export function registerHealthRoutes(app: App): void {
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyz, async (c) => {
    const result = await checkReadiness(c.get('services'));
    if (result.ready) return c.json({ status: 'ok' as const }, 200);
    return c.json({ status: 'unavailable' as const, reason: result.reason }, 503);
  });
}
