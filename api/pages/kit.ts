import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { guard } from '../auth/permissions.ts';
import { isDatabaseUnavailable } from '../db/pool.ts';
import type { App, AppEnv } from '../http/context.ts';
import { AppError } from '../http/errors.ts';
import { html, type Html } from './html.ts';

/**
 * The page kit: server-rendered HTML pages (no front-end build, no scripts, no third-party assets) with a
 * Content-Security-Policy of their own. The API's global CSP says `form-action 'none'`; a page says
 * `form-action 'self'` plus the few origins its form may redirect to (Chromium enforces form-action on the
 * redirects that follow a POST, e.g. to an OAuth client's redirect_uri).
 */

/** Where the one stylesheet of every page is served (by Hangar itself: CSP `style-src 'self'`). */
export const PAGE_STYLESHEET_PATH = '/assets/pages.css';

const STYLESHEET = readFileSync(new URL('./pages.css', import.meta.url), 'utf8');
const SCHEME_SOURCE = /^[a-z][a-z0-9+.-]*:$/;

export interface PageOptions {
  /** The page's title and its h1 ("Verify your email"). */
  title: string;
  /** The content under the h1. */
  body: Html;
  /** Default 200. */
  status?: ContentfulStatusCode;
  /** CSP sources a form on this page may submit or redirect to, beyond 'self' (build each with `formActionSource`). */
  formAction?: readonly string[];
}

/**
 * The CSP source that lets a form's POST redirect to `url`: its origin for http(s) (`https://app.example`),
 * its scheme for a native app's custom scheme (`vscode:`). Throws on anything else, so a caller can never
 * smuggle a directive (`;`) into the header.
 */
export function formActionSource(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.origin;
  if (SCHEME_SOURCE.test(parsed.protocol) && parsed.protocol !== 'javascript:' && parsed.protocol !== 'data:') return parsed.protocol;
  throw new TypeError('Not a URL a form may redirect to');
}

/** The Content-Security-Policy of a page: nothing but Hangar's own stylesheet, no framing, forms to 'self' (+ extras). */
export function pageCsp(formAction: readonly string[] = []): string {
  for (const source of formAction) {
    if (!/^[A-Za-z0-9+.:/[\]-]+$/.test(source)) throw new TypeError('Invalid form-action source');
  }
  const sources = ["'self'", ...new Set(formAction)].join(' ');
  return `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${sources}; frame-ancestors 'none'; base-uri 'none'`;
}

/** The accessible document around a page's content: lang, charset, viewport, title, one stylesheet, a main landmark. */
export function pageDocument(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Hangar</title>
<link rel="stylesheet" href="${PAGE_STYLESHEET_PATH}">
</head>
<body>
<header class="site"><p class="brand">Hangar</p></header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/**
 * Answers with a page: its own CSP, `Referrer-Policy: same-origin` (so a same-origin form POST carries its
 * real Origin, which the CSRF check needs; cross-origin requests and redirects get no referrer), never cached.
 */
export function renderPage(c: Context<AppEnv>, options: PageOptions): Response {
  c.header('Content-Security-Policy', pageCsp(options.formAction));
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  c.header('X-Frame-Options', 'DENY');
  return c.html(pageDocument(options.title, options.body).toString(), options.status ?? 200);
}

/** A page with one message paragraph: results ("Email verified") and errors alike. */
export function renderMessagePage(c: Context<AppEnv>, title: string, message: Html | string, status: ContentfulStatusCode = 200): Response {
  return renderPage(c, { title, status, body: html`<p class="message">${message}</p>` });
}

const TITLES_BY_CODE: Record<string, string> = {
  invalid_token: 'This link cannot be used',
  csrf_rejected: 'This form has expired',
};

const ERROR_TITLES: Partial<Record<number, string>> = {
  400: 'This request cannot be used',
  401: 'Sign in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Already done',
  429: 'Too many attempts',
  503: 'Temporarily unavailable',
};

/**
 * Renders any error as a page with the same status the API would answer: an AppError's own message, a
 * generic text for everything else (logged with the request id; never a stack trace or driver message).
 */
export function renderErrorPage(c: Context<AppEnv>, error: unknown): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  let status: ContentfulStatusCode = 500;
  let code = 'internal_error';
  let message = 'Something went wrong on our side. Try again in a moment.';
  if (error instanceof AppError) {
    ({ status, code, message } = error);
    if (error.details?.retryAfterSeconds) c.header('Retry-After', String(error.details.retryAfterSeconds));
  } else if (error instanceof HTTPException) {
    status = error.status as ContentfulStatusCode;
    code = status === 413 ? 'payload_too_large' : 'invalid_request';
    message = status === 413 ? 'The form is too large.' : 'The request could not be read.';
  } else if (isDatabaseUnavailable(error)) {
    c.get('services').logger.warn({ requestId, err: error, path: c.req.path }, 'database unavailable');
    c.header('Retry-After', '2');
    status = 503;
    code = 'database_unavailable';
    message = 'Hangar is temporarily unavailable. Try again shortly.';
  } else {
    c.get('services').logger.error({ requestId, err: error, path: c.req.path }, 'unhandled error');
  }
  const title = TITLES_BY_CODE[code] ?? ERROR_TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'This request cannot be used');
  return renderPage(c, {
    title,
    status,
    body: html`<p class="message" role="alert">${message}</p>
<p class="meta">Error code: <code>${code}</code> · Request id: <code>${requestId}</code></p>`,
  });
}

/** Wraps a page handler so that whatever it throws is answered as an HTML error page, not as JSON. */
export function pageRoute(handler: (c: Context<AppEnv>) => Promise<Response> | Response): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      return renderErrorPage(c, error);
    }
  };
}

/** Serves the pages' stylesheet (public, cacheable: it holds nothing but style). */
export function registerPageAssets(app: App): void {
  app.get(PAGE_STYLESHEET_PATH, guard({ access: 'public' }), (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
}
