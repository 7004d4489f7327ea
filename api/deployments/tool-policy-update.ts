import type { Deployment, Prisma } from '../db/generated/client.ts';
import { scrubAuditData } from '../audit/audit-log.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { DeploymentContext } from './service.ts';

/** A tool-policy change from `PATCH /v1/deployments/{id}`: at most one of the two lists (the schema refuses both). */
export interface ToolPolicyInput {
  allowTools?: string[] | null;
  denyTools?: string[] | null;
}

/**
 * Sets a deployment's tool policy (team admins; the route checks the role). An allow-list replaces any
 * deny-list and the other way round; `null` lifts the named list. The proxy reads the policy on every
 * request, so it applies at once: no new generation, no machine replaced. Audited in the same transaction.
 */
export async function setToolPolicy(ctx: DeploymentContext, dep: Deployment, input: ToolPolicyInput): Promise<Deployment> {
  const { services } = ctx;
  if (dep.desiredState === 'deleted') throw new NotFoundError('Deployment');
  const data: Prisma.DeploymentUpdateInput =
    input.allowTools !== undefined
      ? input.allowTools === null
        ? { allowTools: [], allowToolsSet: false }
        : { allowTools: [...new Set(input.allowTools)], allowToolsSet: true, denyTools: [] }
      : { denyTools: [...new Set(input.denyTools ?? [])], allowTools: [], allowToolsSet: false };
  return services.db.$transaction(async (tx) => {
    const row = await tx.deployment
      .update({ where: { id: dep.id, version: dep.version }, data: { ...data, version: { increment: 1 } } })
      .catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'P2025') throw error;
        throw new ConflictError('The deployment changed while this request was made; read it again and retry', 'version_conflict');
      });
    await tx.auditEntry.create({
      data: {
        action: 'deployment.tool_policy',
        resourceType: 'deployment',
        resourceId: dep.id,
        teamId: dep.teamId,
        ...ctx.actor,
        outcome: 'success',
        data: scrubAuditData({ allowTools: row.allowToolsSet ? row.allowTools : null, denyTools: row.denyTools, before: { allowTools: dep.allowToolsSet ? dep.allowTools : null, denyTools: dep.denyTools } }) as Prisma.InputJsonValue,
        createdAt: services.clock.now(),
      },
    });
    return row;
  });
}
