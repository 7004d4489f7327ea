import { createRoute, z } from '@hono/zod-openapi';
import { authorized } from '../auth/permissions.ts';
import { ErrorSchema, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
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

const errorContent = (description: string) => jsonContent(ErrorSchema, description);

const route = authorized(
  createRoute({
    method: 'post',
    path: '/v1/packages/validate',
    tags: ['packages'],
    summary: 'Resolve a package to one pinned version and judge it against the admission rules',
    description:
      'Answers 200 with the verdict, including `ok: false` with every flag when the package is refused ' +
      '(deprecated, yanked, no bin, sdist only, Python mismatch, or a flag the policy rejects). 422 when the ' +
      'registry says the package or version does not exist; 503 when the registry cannot answer.',
    request: { body: jsonBody(ValidatePackageBodySchema) },
    responses: {
      200: jsonContent(VerdictSchema, 'The verdict'),
      400: errorContent('Malformed body or package spec (with field paths)'),
      401: errorContent('No or invalid credentials'),
      403: errorContent('The key lacks the read scope'),
      422: errorContent('The package or requested version does not exist (`package_not_found`, `version_not_found`, `package_unpublished`, `version_unpublished`)'),
      429: errorContent('Rate limited'),
      503: errorContent('The registry is unavailable (`registry_unavailable`); try again later'),
    },
  }),
  { access: 'signed_in', scope: 'read' },
);

/** `POST /v1/packages/validate`: the same admission service deployments call. */
export function registerValidatePackage(app: App): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const verdict = await c.get('services').admission.validatePackage(body.package, body.policy);
    return c.json(VerdictSchema.parse(verdict), 200);
  });
}
