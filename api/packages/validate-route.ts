import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ErrorSchema, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App, AppEnv } from '../http/context.ts';
import type { Services } from '../services.ts';
import type { Admission } from './admission.ts';
import { PackageSpecSchema } from './package-spec.ts';
import { AdmissionPolicySchema, VerdictSchema } from './verdict.ts';

const ValidatePackageBodySchema = z
  .object({
    package: PackageSpecSchema,
    policy: AdmissionPolicySchema.optional().openapi({
      description: 'The team policy to judge with; omitted switches default to warn-only',
      example: { rejectInstallScripts: true, rejectYoungerThanHours: 72, rejectTyposquats: true },
    }),
  })
  .strict()
  .openapi('ValidatePackageRequest');

/** An API key or a session, as everywhere in the API. */
const SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { session: [] }];

const errorContent = (description: string) => jsonContent(ErrorSchema, description);

function validateRoute(authenticate: MiddlewareHandler<AppEnv>) {
  return createRoute({
    method: 'post',
    path: '/v1/packages/validate',
    tags: ['packages'],
    summary: 'Resolve a package to one pinned version and judge it against the admission rules',
    description:
      'Answers 200 with the verdict, including `ok: false` with every flag when the package is refused ' +
      '(deprecated, yanked, no bin, sdist only, Python mismatch, or a flag the policy rejects). 422 when the ' +
      'registry says the package or version does not exist; 503 when the registry cannot answer.',
    security: SECURITY,
    middleware: [authenticate] as const,
    request: { body: jsonBody(ValidatePackageBodySchema) },
    responses: {
      200: jsonContent(VerdictSchema, 'The verdict'),
      400: errorContent('Malformed body or package spec (with field paths)'),
      401: errorContent('No or invalid credentials'),
      422: errorContent('The package or requested version does not exist (`package_not_found`, `version_not_found`, `package_unpublished`, `version_unpublished`)'),
      503: errorContent('The registry is unavailable (`registry_unavailable`); try again later'),
    },
  });
}

/** Reads the admission service until `Services` declares it (the lead adds `admission: Admission`). */
function admissionOf(services: Services): Admission {
  return (services as Services & { admission: Admission }).admission;
}

/** `POST /v1/packages/validate`: the same admission service deployments call, behind `authenticate`. */
export function registerValidatePackage(app: App, authenticate: MiddlewareHandler<AppEnv>): void {
  app.openapi(validateRoute(authenticate), async (c) => {
    const body = c.req.valid('json');
    const verdict = await admissionOf(c.get('services')).validatePackage(body.package, body.policy);
    return c.json(VerdictSchema.parse(verdict), 200);
  });
}
