import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { authenticate } from '../auth/authenticate.ts';
import { guard } from '../auth/permissions.ts';
import { registerAccountRoutes } from '../auth/routes.ts';
import { createTemplateDeployment } from '../catalog/deploy.ts';
import { registerCatalogRoutes } from '../catalog/routes/index.ts';
import { registerCredentialRoutes } from '../credentials/routes/index.ts';
import { registerDeploymentRoutes } from '../deployments/routes/index.ts';
import { registerValidatePackage } from '../packages/validate-route.ts';
import { registerMcpProxy } from '../mcp/routes.ts';
import { registerOAuth } from '../oauth/routes.ts';
import { registerPages } from '../pages/routes.ts';
import { registerListCalls } from '../mcp/list-calls.ts';
import { registerHealthRoutes } from '../health/routes.ts';
import { metricsMiddleware, registerMetricsRoute } from '../metrics/routes.ts';
import { isDatabaseUnavailable } from '../db/pool.ts';
import { newId } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { createRouter, type App, type AppEnv } from './context.ts';
import { AppError, errorBody } from './errors.ts';
import { registerDocs } from './openapi.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * PostgreSQL refuses some text outright: NUL bytes (22021) and, in JSON, \u0000 (22P05). Both come from the
 * client's input (a path parameter, a query value, a body string), so they are a 400, not a 500. The SQLSTATE
 * is on a pg error itself, or on the driver error a Prisma error wraps.
 */
function isUnstorableInput(error: unknown): boolean {
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null;
  const code = e?.meta?.driverAdapterError?.cause?.originalCode ?? e?.code;
  return code === '22021' || code === '22P05';
}

/** Every error, expected or not, leaves as `{ error: { code, message, requestId } }` and nothing more. */
function renderError(c: Context<AppEnv>, error: unknown): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  if (error instanceof AppError) {
    if (error.details?.retryAfterSeconds) c.header('Retry-After', String(error.details.retryAfterSeconds));
    return c.json(errorBody(error, requestId), error.status);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const known: Partial<Record<number, [string, string]>> = {
      400: ['invalid_request', 'Malformed request body'],
      401: ['unauthorized', 'Authentication required'],
      413: ['payload_too_large', 'Request body is too large'],
    };
    const [code, message] = known[status] ?? ['http_error', 'Request could not be processed'];
    // The rest of an oversized body is never read: close the connection so a kept-alive client does not
    // send its next request into the unread bytes.
    if (status === 413) c.header('Connection', 'close');
    return c.json({ error: { code, message, requestId } }, status);
  }
  if (isUnstorableInput(error)) {
    return c.json({ error: { code: 'invalid_request', message: 'The request contains characters that cannot be stored (e.g. NUL)', requestId } }, 400);
  }
  const services = c.get('services');
  if (isDatabaseUnavailable(error)) {
    services.logger.warn({ requestId, err: error, path: c.req.path }, 'database unavailable');
    c.header('Retry-After', '2');
    return c.json({ error: { code: 'database_unavailable', message: 'The database is unavailable; try again shortly', requestId } }, 503);
  }
  services.logger.error({ requestId, err: error, path: c.req.path }, 'unhandled error');
  return c.json({ error: { code: 'internal_error', message: 'Internal server error', requestId } }, 500);
}

/**
 * Builds the Hono app around already-built services. Routes of every domain register here; middleware
 * order matters: request id first (so every log line and error carries it), then logging, headers, CORS
 * and the body limit.
 */
export function createApp(services: Services): App {
  const app = createRouter();
  const { config, logger } = services;

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : newId('req');
    c.set('requestId', requestId);
    c.set('services', services);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    logger[status >= 500 ? 'error' : 'info'](
      { requestId, method: c.req.method, path: c.req.path, status, durationMs },
      'request',
    );
  });
  app.use('*', metricsMiddleware(services.metrics));

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
      strictTransportSecurity: config.publicUrl.startsWith('https://') ? 'max-age=63072000; includeSubDomains' : false,
      crossOriginResourcePolicy: 'same-origin',
      // Agrees with the CSP's frame-ancestors 'none'.
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      // A page (api/pages/kit.ts) sets its own CSP and referrer policy; every other answer gets these.
      overwrite: false,
    }),
  );

  // Every /v1 answer may carry credentials or personal data (keys, sessions, exports): never cached.
  app.use('/v1/*', async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  });

  // CORS only for configured origins; with none configured, browsers on other origins get no CORS headers,
  // and Access-Control-Allow-Credentials goes only with an allowed origin.
  // Without an Origin header there is nothing to allow: only the Vary the CORS middleware would add (so a
  // shared cache keeps cross-origin answers apart), without materialising the response to edit its headers.
  const corsFor = cors({
      origin: (origin) => (config.corsOrigins.includes(origin) ? origin : null),
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID', 'Mcp-Method', 'Mcp-Name', 'traceparent', 'tracestate'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate'],
      maxAge: 600,
    });
  app.use('*', async (c, next) => {
    if (c.req.header('origin') === undefined) {
      c.header('Vary', 'Origin');
      return next();
    }
    const preflight = await corsFor(c, next);
    // Hono copies c.res's headers into a returned preflight response, so both are cleaned.
    for (const res of preflight ? [c.res, preflight] : [c.res]) {
      if (!res.headers.has('Access-Control-Allow-Origin')) res.headers.delete('Access-Control-Allow-Credentials');
    }
    return preflight;
  });

  const limitBody = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: () => {
      throw new HTTPException(413);
    },
  });
  // A GET/HEAD/OPTIONS with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3) and
  // skips the limit: asking for `req.body` makes @hono/node-server build a full web Request, most of a GET's cost.
  app.use('*', (c, next) =>
    BODYLESS_METHODS.has(c.req.method) && c.req.header('content-length') === undefined && c.req.header('transfer-encoding') === undefined
      ? next()
      : limitBody(c, next),
  );

  // Reads credentials (API key or session cookie), applies the CSRF rule and per-credential rate limits;
  // each route's own guard (its declared permission) decides who may call it.
  app.use('*', authenticate());

  // Routes outside the accounts domain declare their permission with a guard next to where they register.
  app.on('GET', ['/healthz', '/readyz', '/openapi.json', '/docs'], guard({ access: 'public' }));
  registerHealthRoutes(app);
  registerMetricsRoute(app);
  registerDocs(app);
  registerAccountRoutes(app);
  registerValidatePackage(app);
  registerCredentialRoutes(app);
  registerDeploymentRoutes(app, { deployTemplate: createTemplateDeployment });
  registerCatalogRoutes(app);
  registerMcpProxy(app);
  registerOAuth(app);
  registerPages(app);
  registerListCalls(app);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'Route not found', requestId: c.get('requestId') } }, 404));
  app.onError((error, c) => renderError(c, error));
  return app;
}
