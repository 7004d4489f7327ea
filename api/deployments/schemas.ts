import { z } from '@hono/zod-openapi';
import type { Deployment } from '../db/generated/client.ts';
import { FlagSchema } from '../packages/verdict.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import { PackageSpecSchema } from '../packages/package-spec.ts';
import { ToolPatternListSchema } from '../mcp/tool-policy.ts';
import { StoredLaunchSpecSchema } from './launch.ts';
import { DEPLOYMENT_STATES, SIZES } from './states.ts';

/** Deployment names: DNS-label style, unique per team. */
export const DeploymentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, 'must be 2-40 characters: lower-case letters, digits and hyphens, starting with a letter')
  .openapi({ description: 'Name, unique in the team', example: 'github-tools' });

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be a valid environment variable name');

export const SecretSourceSchema = z
  .union([
    z.object({ credential: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).openapi({ description: 'Name of a team or user credential', example: 'GITHUB_TOKEN' }) }).strict(),
    z.object({ value: z.string().min(1).max(32 * 1024).openapi({ description: 'An inline secret, encrypted on arrival and never shown again', example: 'ghp_...' }) }).strict(),
  ])
  .openapi('SecretSource');

const sizeNames = Object.keys(SIZES) as [keyof typeof SIZES, ...Array<keyof typeof SIZES>];

const launchFields = {
  args: z.array(z.string()).max(100).openapi({ description: 'Extra arguments for the server', example: ['--read-only'] }),
  env: z.record(EnvNameSchema, z.string().max(32 * 1024)).openapi({ description: 'Non-secret environment', example: { LOG_LEVEL: 'info' } }),
  secrets: z.record(EnvNameSchema, SecretSourceSchema).openapi({
    description: 'Secret environment variables: a credential by name, or an inline value',
    example: { GITHUB_PERSONAL_ACCESS_TOKEN: { credential: 'GITHUB_TOKEN' } },
  }),
  region: z.string().regex(/^[a-z]{3}$/).openapi({ description: 'Fly region', example: 'iad' }),
  size: z.enum(sizeNames).openapi({ description: 'Machine size', example: 'shared-cpu-1x' }),
};

/** A catalog template's slug. */
export const TemplateSlugSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, 'must be 2-40 characters: lower-case letters, digits and hyphens, starting with a letter')
  .openapi({ description: 'Catalog template slug', example: 'github' });

export const CreateDeploymentSchema = z
  .object({
    name: DeploymentNameSchema,
    package: PackageSpecSchema.optional(),
    template: TemplateSlugSchema.optional(),
    values: z
      .record(EnvNameSchema, z.union([z.string().max(32 * 1024), z.number(), z.boolean()]))
      .optional()
      .openapi({ description: 'Template deployments: your values for user-tier fields (secrets are encrypted on arrival)', example: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_...' } }),
    args: launchFields.args.default([]),
    env: launchFields.env.default({}),
    secrets: launchFields.secrets.default({}),
    region: launchFields.region.optional(),
    size: launchFields.size.default('shared-cpu-1x'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.package === undefined) === (v.template === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['package'], message: 'give exactly one of package or template' });
    }
    if (v.template !== undefined) {
      for (const key of ['args', 'env', 'secrets'] as const) {
        if (Object.keys(v[key]).length > 0) ctx.addIssue({ code: 'custom', path: [key], message: 'a template deployment takes values, not ' + key });
      }
    } else if (v.values !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'values are for template deployments' });
    }
  })
  .openapi('CreateDeployment');

export type CreateDeploymentInput = z.infer<typeof CreateDeploymentSchema>;

export const UpdateDeploymentSchema = z
  .object({
    package: PackageSpecSchema.optional(),
    args: launchFields.args.optional(),
    env: launchFields.env.optional(),
    secrets: launchFields.secrets.optional(),
    size: launchFields.size.optional(),
    allowTools: ToolPatternListSchema.nullable()
      .optional()
      .openapi({ description: 'Team admins: only tools matching one of these names or globs (`*`, `?`) are listed and callable; `null` lifts the allow-list. Replaces any deny-list.', example: ['get-*', 'echo'] }),
    denyTools: ToolPatternListSchema.nullable()
      .optional()
      .openapi({ description: 'Team admins: tools matching one of these names or globs are hidden from `tools/list` and refused on call; `null` or `[]` lifts it. Replaces any allow-list.', example: ['delete_*'] }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'name at least one field to change')
  .refine((v) => v.allowTools === undefined || v.denyTools === undefined, { message: 'set allowTools or denyTools, not both', path: ['denyTools'] })
  .openapi('UpdateDeployment');

export type UpdateDeploymentInput = z.infer<typeof UpdateDeploymentSchema>;

export const DeploymentSchema = z
  .object({
    id: z.string().openapi({ example: 'dep_0123456789abcdef' }),
    teamId: z.string(),
    name: z.string(),
    package: z.string().openapi({ description: 'Runtime-prefixed pinned package', example: 'npm:@modelcontextprotocol/server-everything@2026.1.26' }),
    runtime: z.enum(['npm', 'pypi']),
    version: z.string().openapi({ description: 'The exact version admitted and launched', example: '2026.1.26' }),
    requested: z.string().openapi({ description: 'The package spec as requested', example: 'npm:@modelcontextprotocol/server-everything@^2026.1.0' }),
    state: z.enum(DEPLOYMENT_STATES).openapi({ description: 'Observed state', example: 'running' }),
    stateReason: z.string().nullable(),
    failure: z
      .object({
        code: z.string().openapi({ description: 'Stable reason code: credential_missing, template_secret_missing, driver_rejected, launch_spec_rejected, crash_loop', example: 'credential_missing' }),
        message: z.string().openapi({ example: 'secret GITHUB_TOKEN refers to a credential that no longer exists' }),
      })
      .nullable()
      .openapi({ description: 'Why the deployment is `failed` (null in any other state)' }),
    retrying: z
      .object({
        lastError: z.string().openapi({ example: 'machine platform error (transient): Fly createMachine failed: 503' }),
        lastErrorAt: z.string(),
        attempts: z.number().int(),
        nextAttemptAt: z.string().openapi({ description: 'When the reconciler tries again (exponential backoff)' }),
      })
      .nullable()
      .openapi({ description: 'Set while the last reconcile move failed with an error another try may cure' }),
    desiredState: z.enum(['running', 'stopped', 'deleted']),
    flags: z.array(FlagSchema).openapi({ description: 'Admission findings' }),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()),
    secrets: z.array(z.string()).openapi({ description: 'Names of the secret variables (values are never shown)', example: ['GITHUB_PERSONAL_ACCESS_TOKEN'] }),
    region: z.string(),
    size: z.string(),
    generation: z.number().int(),
    restartCount: z.number().int(),
    lastExitCode: z.number().int().nullable().openapi({ description: 'Exit code of the last exit the machine reported', example: 1 }),
    lastOomKilled: z.boolean().nullable().openapi({ description: 'The last exit was an out-of-memory kill', example: false }),
    mcpUrl: z.string().openapi({ example: 'https://hangar.example.com/v1/deployments/dep_0123456789abcdef/mcp' }),
    template: z.string().nullable().openapi({ description: 'Catalog template it was deployed from', example: 'github' }),
    missingFields: z.array(z.string()).openapi({ description: 'Required template fields still without a value (state `awaiting_config`)', example: [] }),
    usage: z.object({ requests: z.number().int(), errors: z.number().int(), lastUsedAt: z.string().nullable() }),
    allowTools: z.array(z.string()).nullable().openapi({ description: 'Tool allow-list (null: none); see PATCH', example: null }),
    denyTools: z.array(z.string()).openapi({ description: 'Tool deny-list (empty: none); see PATCH', example: ['delete_*'] }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Deployment');

export type DeploymentView = z.infer<typeof DeploymentSchema>;

const FlagsSchema = z.array(FlagSchema).catch([]);

/** The public shape of a deployment: never a secret value, never the runner token. */
export function deploymentView(dep: Deployment, publicUrl: string): DeploymentView {
  const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
  return {
    id: dep.id,
    teamId: dep.teamId,
    name: dep.name,
    package: PinnedPackage.ofDeployment(dep).label(),
    runtime: dep.runtime,
    version: dep.packageVersion,
    requested: dep.requestedSpec,
    state: dep.state,
    stateReason: dep.stateReason,
    failure: dep.state === 'failed' && dep.failureCode ? { code: dep.failureCode, message: dep.stateReason ?? '' } : null,
    retrying:
      dep.lastError && dep.lastErrorAt && dep.attempts > 0
        ? { lastError: dep.lastError, lastErrorAt: dep.lastErrorAt.toISOString(), attempts: dep.attempts, nextAttemptAt: dep.nextReconcileAt.toISOString() }
        : null,
    desiredState: dep.desiredState,
    flags: FlagsSchema.parse(dep.flags),
    args: spec.args,
    env: spec.env,
    secrets: Object.keys(spec.secrets).sort(),
    region: dep.region,
    size: dep.size,
    generation: dep.generation,
    restartCount: dep.restartCount,
    lastExitCode: dep.lastExitCode,
    lastOomKilled: dep.lastOomKilled,
    mcpUrl: `${publicUrl}/v1/deployments/${dep.id}/mcp`,
    template: dep.templateSlug,
    missingFields: dep.missingFields,
    usage: { requests: Number(dep.requestCount), errors: Number(dep.errorCount), lastUsedAt: dep.lastUsedAt?.toISOString() ?? null },
    allowTools: dep.allowToolsSet ? dep.allowTools : null,
    denyTools: dep.denyTools,
    createdAt: dep.createdAt.toISOString(),
    updatedAt: dep.updatedAt.toISOString(),
  };
}

export const DeploymentEventSchema = z
  .object({
    id: z.string().openapi({ example: '42' }),
    type: z.string().openapi({ example: 'state_changed' }),
    fromState: z.string().nullable(),
    toState: z.string().nullable(),
    reason: z.string().openapi({ example: 'health check critical 3 times (runner)' }),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi('DeploymentEvent');
