import { SESSION_COOKIE } from '../auth/sessions.ts';
import { HANGAR_VERSION } from '../platform/version.ts';
import type { App } from './context.ts';
import { renderDocsPage } from './docs-page.ts';

export const OPENAPI_INFO = {
  title: 'Hangar API',
  version: HANGAR_VERSION,
  description:
    'Deploy MCP servers from npm or PyPI packages into isolated Fly.io Machines, with an encrypted credential vault, ' +
    'and reach them through an authenticated MCP proxy.',
};

/** The OpenAPI 3.1 document of every route registered on `app`. */
export function openApiDocument(app: App) {
  return app.getOpenAPI31Document({ openapi: '3.1.0', info: OPENAPI_INFO, servers: [{ url: '/' }] });
}

/** `GET /openapi.json` (the spec, built once on first use) and `GET /docs` (a reference page rendered from it). */
export function registerDocs(app: App): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`hgr_...`) in `Authorization: Bearer`.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The browser session cookie set by `POST /v1/auth/login`.',
  });
  let spec: ReturnType<typeof openApiDocument> | undefined;
  let page: string | undefined;
  const current = () => (spec ??= openApiDocument(app));
  app.get('/openapi.json', (c) => c.json(current()));
  app.get('/docs', (c) => {
    page ??= renderDocsPage(current());
    return c.html(page);
  });
}
