import { OpenAPIHono } from '@hono/zod-openapi';
import type { Authentication } from '../auth/authenticate.ts';
import type { TeamAccess } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { Services } from '../services.ts';
import { ValidationError } from './errors.ts';
import type { Deployment } from '../db/generated/client.ts';

/** Per-request values every handler can read with `c.get(...)`. */
export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    /** Set by `authenticate()` on every request: what credentials were presented and whether they hold. */
    authentication: Authentication;
    /** The caller, when `authentication.state` is `valid`. Read it through `requireAuth(c)`. */
    principal: Principal | undefined;
    /** Set by the guard of `team` routes: the team of the path and the caller's effective role. */
    teamAccess: TeamAccess;
    /** Set by the guard of deployment routes: the deployment of the path, the caller's role on it checked. */
    deployment: Deployment;
    /** Teams this request entered by global-admin power (not membership), already written to their audit log. */
    adminTeamAccess: Set<string> | undefined;
  };
}

export type App = OpenAPIHono<AppEnv>;

/** Renders a zod path like ['body', 'env', 0] as `env[0]`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/**
 * A router whose zod validation failures become 400 `invalid_request` errors with field paths, so every
 * route answers bad input the same way.
 */
export function createRouter(): App {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((issue) => ({ path: issuePath(issue.path) || '(root)', message: issue.message }));
        throw new ValidationError(`Invalid ${result.target}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      return undefined;
    },
  });
}
