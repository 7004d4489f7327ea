import { z } from '@hono/zod-openapi';

/** The error body every failure answers with (see api/http/errors.ts). */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string().openapi({ example: 'Team not found' }),
      requestId: z.string().openapi({ example: 'req_0123456789abcdef' }),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input',
  401: 'No or invalid credentials',
  403: 'Not allowed (scope, role, CSRF or unverified email)',
  404: 'Not found, or not yours',
  409: 'Conflicts with the current state',
  422: 'Rejected by policy (admission, launch-spec rules or a quota)',
  429: 'Rate limited; see Retry-After',
  502: 'An upstream (e.g. the deployment’s MCP server) failed',
  503: 'A dependency is unavailable; see Retry-After',
};

/** OpenAPI response entries for the given error statuses, all with the shared error body. */
export function errorResponses(...statuses: Array<400 | 401 | 403 | 404 | 409 | 422 | 429 | 502 | 503>) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: ERROR_TEXT[status] ?? 'Error', content: { 'application/json': { schema: ErrorSchema } } }]),
  ) as Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
}

/** A JSON response entry for OpenAPI. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body entry for OpenAPI. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

/** Emails are trimmed and lower-cased before anything else sees them. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an email address' }).max(254))
  .openapi({ description: 'Email address (trimmed and lower-cased)', example: 'ada@example.com' });

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: 'usr_0123456789abcdef' }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    name: z.string().nullable().openapi({ example: 'Ada' }),
    globalRole: z.enum(['admin', 'user']),
    emailVerified: z.boolean(),
    disabled: z.boolean(),
    createdAt: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
  })
  .openapi('User');

/** Shapes a user row for responses (never the password hash). */
export function userView(user: {
  id: string;
  email: string;
  name: string | null;
  globalRole: 'admin' | 'user';
  emailVerifiedAt: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
}): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    globalRole: user.globalRole,
    emailVerified: user.emailVerifiedAt !== null,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** `?limit=&cursor=` of every list: default 50, at most 200; the cursor is opaque. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  cursor: z.string().max(200).optional().openapi({ description: 'Opaque cursor from the previous page' }),
});

export const StatusSchema = z.object({ status: z.string().openapi({ example: 'ok' }) }).openapi('Status');
