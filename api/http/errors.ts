import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * The base of every error Hangar shows a client. `code` is stable and machine-readable; `message` is for
 * people and never carries internals (driver messages, stack traces, secrets).
 */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: { issues?: FieldIssue[]; retryAfterSeconds?: number; [key: string]: unknown },
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed; `issues` names each bad field by path. */
export class ValidationError extends AppError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super(400, 'invalid_request', message, { issues });
  }
}

/** 401: no credentials, or credentials that do not identify an active user. */
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message);
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this', code = 'forbidden') {
    super(403, code, message);
  }
}

/** 404: missing, or belonging to another tenant (the two are indistinguishable on purpose). */
export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super(404, 'not_found', `${what} not found`);
  }
}

/** 409: the request conflicts with the current state. */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/** 422: well-formed, but rejected by policy (admission, launch-spec rules, quotas). */
export class PolicyError extends AppError {
  constructor(message: string, code = 'rejected', details?: AppError['details']) {
    super(422, code, message, details);
  }
}

/** 429: too many requests; `retryAfterSeconds` becomes the Retry-After header. */
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'Too many requests') {
    super(429, 'rate_limited', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}

/** 503: a dependency (database, registry, Fly) is unavailable; `message` says which, never why in detail. */
export class UnavailableError extends AppError {
  constructor(message: string, code = 'unavailable') {
    super(503, code, message);
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; issues?: FieldIssue[] };
}

/** Shapes an AppError into the wire format. */
export function errorBody(error: AppError, requestId: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message, requestId } };
  if (error.details?.issues && error.details.issues.length > 0) body.error.issues = error.details.issues;
  return body;
}
