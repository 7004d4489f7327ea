import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { guard } from '../auth/permissions.ts';
import type { App, AppEnv } from '../http/context.ts';
import { UnauthorizedError } from '../http/errors.ts';
import { digestsEqual, hashToken } from '../platform/ids.ts';
import type { HangarMetrics } from './hangar-metrics.ts';
import { EXPOSITION_CONTENT_TYPE } from './registry.ts';

/** The label of requests no route matched (404s from the not-found handler). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern that answered a request (`/v1/deployments/:id`), never the raw URL, so ids cannot
 * blow up the label set: the last matched route registered for a method (middleware is registered as ALL).
 */
export function routePatternOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i -= 1) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return UNMATCHED_ROUTE;
}

/**
 * Counts every request by method, route pattern and status and times it. Register it right after the
 * request-id middleware, so its timing covers authentication, rate limits and the handler.
 */
export function metricsMiddleware(metrics: HangarMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    metrics.trackInFlight(1);
    try {
      await next();
    } finally {
      metrics.trackInFlight(-1);
      metrics.observeRequest({ method: c.req.method, route: routePatternOf(c), status: c.res.status, seconds: (performance.now() - started) / 1000 });
    }
  };
}

function bearerOf(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/**
 * `GET /metrics`: Prometheus text, for a scraper presenting `Authorization: Bearer <METRICS_TOKEN>` (compared
 * in constant time over SHA-256 digests). Without METRICS_TOKEN the endpoint does not exist (404, the same
 * body as any unknown route). Declared public: the token, not a user credential, is what protects it.
 */
export function registerMetricsRoute(app: App): void {
  app.get('/metrics', guard({ access: 'public' }), async (c) => {
    const { config, metrics, pool, clock } = c.get('services');
    if (!config.metricsToken) {
      return c.json({ error: { code: 'not_found', message: 'Route not found', requestId: c.get('requestId') } }, 404);
    }
    const presented = bearerOf(c.req.header('authorization'));
    if (!presented || !digestsEqual(hashToken(presented), hashToken(config.metricsToken))) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedError('A valid metrics token is required');
    }
    const body = await metrics.scrape({ pool, clock });
    return c.body(body, 200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' });
  });
}
