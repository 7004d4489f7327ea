import { ApiError, CliError, EXIT } from './errors.ts';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** The only thing the CLI knows about HTTP: JSON in, JSON out, errors as ApiError. */
export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T>(path: string, query?: RequestOptions['query']): Promise<T>;
  send<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** Builds a client for `baseUrl`; `auth` supplies the Authorization or Cookie header when present. */
export function createApiClient(options: { baseUrl: string; apiKey?: string; cookie?: string; fetchImpl?: typeof fetch; userAgent?: string }): ApiClient {
  const fetchImpl = options.fetchImpl ?? fetch;
  const origin = new URL(options.baseUrl).origin;

  async function request<T>(method: string, path: string, req: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(options.baseUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': options.userAgent ?? 'hangar-cli', ...req.headers };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (options.cookie) {
      headers.cookie = options.cookie;
      // Cookie-authenticated state changes must carry an allowed Origin (CSRF rule): the server's own.
      headers.origin = origin;
    }
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetchImpl(url, { method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body), redirect: 'error' });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
      const cause = inner?.code ?? inner?.errors?.[0]?.code ?? (inner as { message?: string } | undefined)?.message;
      throw new CliError(`Cannot reach Hangar at ${options.baseUrl}${cause ? ` (${cause})` : ''}`, EXIT.error, 'Check HANGAR_URL or `hangar login --url`.');
    }
    const text = await res.text();
    let body: unknown = undefined;
    let json = true;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        json = false;
      }
    }
    // Hangar stamps every answer with a request id and answers JSON: anything else is another server.
    if (!res.headers.has('x-request-id') || (!json && res.ok)) throw notHangar(options.baseUrl, res.status);
    if (!res.ok) throw toApiError(res, body);
    return { status: res.status, body: body as T, headers: res.headers };
  }

  return {
    baseUrl: options.baseUrl,
    request,
    async get<T>(path: string, query?: RequestOptions['query']) {
      return (await request<T>('GET', path, { query })).body;
    },
    async send<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
      return (await request<T>(method, path, { body, headers })).body;
    },
  };
}

/** The error for an answer no Hangar would give (the URL points at another server). */
export function notHangar(baseUrl: string, status: number): CliError {
  return new CliError(
    `The server at ${baseUrl} does not answer like Hangar (HTTP ${status}, no Hangar request id or not JSON)`,
    EXIT.error,
    'Check HANGAR_URL or `hangar login --url`: it must be the URL Hangar prints when it starts.',
  );
}

function toApiError(res: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown; issues?: unknown } } | undefined)?.error;
  const requestId = typeof error?.requestId === 'string' ? error.requestId : (res.headers.get('x-request-id') ?? undefined);
  const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
  let message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status} ${res.statusText}`.trim();
  const issues = Array.isArray(error?.issues) ? (error.issues as Array<{ path?: unknown; message?: unknown }>) : [];
  const detail = issues.filter((i) => typeof i.message === 'string').map((i) => (typeof i.path === 'string' && i.path ? `${i.path}: ${i.message}` : String(i.message)));
  if (detail.length && !detail.every((d) => message.includes(d))) message += ` [${detail.join('; ')}]`;
  return new ApiError(res.status, code, message, requestId);
}

/** Reads every page of a `{ data, nextCursor }` list. */
export async function listAll<T>(client: ApiClient, path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const res = await client.get<{ data: T[]; nextCursor?: string | null }>(path, { ...query, limit: 200, cursor });
    if (!Array.isArray(res?.data)) throw notHangar(client.baseUrl, 200);
    all.push(...res.data);
    if (!res.nextCursor || res.nextCursor === cursor) break;
    cursor = res.nextCursor;
  }
  return all;
}
