import { assertUserDeploymentQuota } from '../users/quotas.ts';
import type { Deployment, Prisma, Team } from '../db/generated/client.ts';
import { ConflictError, NotFoundError, PolicyError } from '../http/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import type { AdmissionPolicy, Verdict } from '../packages/verdict.ts';
import { AdmissionPolicySchema } from '../packages/verdict.ts';
import { newId, newSecretToken } from '../platform/ids.ts';
import { replaceDeploymentSecrets } from './inline-secrets.ts';
import type { Services } from '../services.ts';
import { recordEvent } from './events.ts';
import { StoredLaunchSpecSchema, type StoredLaunchSpec } from './launch.ts';
import type { CreateDeploymentInput, UpdateDeploymentInput } from './schemas.ts';

/** What a deployment operation needs: the services, the caller, and where the request came from (audit). */
export interface DeploymentContext {
  services: Services;
  principal: Principal;
  actor: { actorUserId: string | null; actorKeyId: string | null; ip: string | null; requestId: string | null };
}

type SecretsInput = CreateDeploymentInput['secrets'];

/** A package deployment request: the create body with its package named. */
export type PackageDeploymentInput = CreateDeploymentInput & { package: string };

/**
 * Deploys a catalog template (api/catalog/deploy.ts `createTemplateDeployment`). The create route receives
 * it from the app, so deployments never imports the catalog (the catalog builds on deployments).
 */
export type TemplateDeployer = (ctx: DeploymentContext, team: Team, input: CreateDeploymentInput) => Promise<Deployment>;

/** The team's admission policy (switches it stored), for admitPackage. */
export function teamPolicy(team: Team): Partial<AdmissionPolicy> {
  const parsed = AdmissionPolicySchema.partial().safeParse(team.policy);
  return parsed.success ? parsed.data : {};
}

/**
 * Every credential a spec references must exist for this caller (their own user credential, or the
 * team's); a missing one is a 422 naming the field. Values are not read here: only the launcher decrypts.
 */
async function checkCredentialRefs(ctx: DeploymentContext, teamId: string, secrets: SecretsInput, ownerUserId: string): Promise<void> {
  const wanted = Object.entries(secrets).flatMap(([env, source]) => ('credential' in source ? [[env, source.credential] as const] : []));
  if (wanted.length === 0) return;
  const names = [...new Set(wanted.map(([, name]) => name))];
  const found = await ctx.services.db.credential.findMany({
    where: { name: { in: names }, OR: [{ scope: 'team', teamId }, { scope: 'user', userId: ownerUserId }] },
    select: { name: true },
  });
  const have = new Set(found.map((f) => f.name));
  const missing = wanted.filter(([, name]) => !have.has(name));
  if (missing.length > 0) {
    throw new PolicyError(`Unknown credential: ${missing.map(([, n]) => n).join(', ')}`, 'credential_not_found', {
      issues: missing.map(([env, name]) => ({ path: `secrets.${env}.credential`, message: `no team or user credential named ${name}` })),
    });
  }
}

/** Throws a 422 `env_secret_overlap` naming each variable set both as plain env and as a secret. */
function assertNoEnvSecretOverlap(env: Record<string, string>, secrets: Record<string, unknown>): void {
  const both = Object.keys(env).filter((name) => name in secrets);
  if (both.length > 0) {
    throw new PolicyError(`Variables set both as env and as secrets: ${both.join(', ')}`, 'env_secret_overlap', {
      issues: both.map((name) => ({ path: `env.${name}`, message: 'also declared in secrets' })),
    });
  }
}

function storedSpec(args: string[], env: Record<string, string>, secrets: SecretsInput): StoredLaunchSpec {
  return {
    args,
    env,
    secrets: Object.fromEntries(Object.entries(secrets).map(([name, source]) => [name, 'credential' in source ? { credential: source.credential } : { inline: true as const }])),
  };
}

async function storeInlineSecrets(ctx: DeploymentContext, tx: Prisma.TransactionClient, deploymentId: string, secrets: SecretsInput): Promise<void> {
  const sealed = Object.fromEntries(Object.entries(secrets).flatMap(([name, source]) => ('value' in source ? [[name, ctx.services.vault.encrypt(source.value)] as const] : [])));
  await replaceDeploymentSecrets(tx, deploymentId, sealed, ctx.services.clock.now());
}

/** What `recordDeployment` stores: an admitted package, its launch spec, and (for templates) what is missing. */
export interface NewDeployment {
  name: string;
  verdict: Verdict;
  requestedSpec: string;
  launchSpec: StoredLaunchSpec;
  region: string | undefined;
  size: string;
  templateSlug?: string;
  /** Required template fields without a value: the deployment waits in `awaiting_config` while any are. */
  missingFields?: string[];
  /** Writes rows that belong to the new deployment (inline secrets), inside its transaction. */
  within?: (tx: Prisma.TransactionClient, deploymentId: string) => Promise<void>;
}

/**
 * Stores an admitted deployment under the team's quota and name rules (desired: running; observed: pending,
 * or `awaiting_config` when template fields are missing), records its event and audit entry, and nudges
 * the reconciler. Callers have already run admission and the launch-spec gate.
 */
export async function recordDeployment(ctx: DeploymentContext, team: Team, input: NewDeployment): Promise<Deployment> {
  const { services, principal } = ctx;
  const { verdict } = input;
  const runnerToken = newSecretToken('hrt_');
  const sealedToken = services.vault.encrypt(runnerToken);
  const id = newId('dep');
  const now = services.clock.now();
  const missing = input.missingFields ?? [];
  const state = missing.length > 0 ? 'awaiting_config' : 'pending';
  const pkg = PinnedPackage.of(verdict).label();

  const deployment = await services.db.$transaction(async (tx) => {
    // The team row lock serialises quota checks and the reconciler's "last deployment deletes the app".
    await tx.$queryRaw`SELECT id FROM teams WHERE id = ${team.id} FOR UPDATE`;
    const live = await tx.deployment.count({ where: { teamId: team.id, desiredState: { not: 'deleted' } } });
    if (live >= services.config.deploymentQuota) {
      throw new PolicyError(`The team already has ${live} deployments (quota ${services.config.deploymentQuota})`, 'quota_exceeded');
    }
    await assertUserDeploymentQuota(tx, principal.userId, services.config.userQuotas.deployments);
    if (await tx.deployment.findUnique({ where: { teamId_name: { teamId: team.id, name: input.name } }, select: { id: true } })) {
      throw new ConflictError(`A deployment named ${input.name} already exists in this team`, 'name_taken');
    }
    const created = await tx.deployment.create({
      data: {
        id,
        teamId: team.id,
        createdById: principal.userId,
        name: input.name,
        runtime: verdict.runtime,
        packageName: verdict.name,
        packageVersion: verdict.version,
        packageIntegrity: verdict.integrity ?? verdict.sha256 ?? null,
        requestedSpec: input.requestedSpec,
        launchSpec: input.launchSpec,
        flags: verdict.flags,
        region: input.region ?? services.config.fly.region,
        size: input.size,
        templateSlug: input.templateSlug ?? null,
        missingFields: missing,
        state,
        ...(missing.length > 0 ? { stateReason: `waiting for ${missing.join(', ')}` } : {}),
        runnerTokenCipher: sealedToken.ciphertext,
        runnerTokenKeyId: sealedToken.keyId,
        nextReconcileAt: now,
        stateChangedAt: now,
        createdAt: now,
      },
    });
    await input.within?.(tx, id);
    const what = input.templateSlug ? `template ${input.templateSlug}: ` : '';
    await recordEvent(tx, { deploymentId: id, type: 'created', toState: state, reason: `deploy ${what}${pkg}`, at: now });
    return created;
  });
  await services.audit.record({ ...ctx.actor, action: 'deployment.create', resourceType: 'deployment', resourceId: id, teamId: team.id, data: { name: input.name, package: pkg, ...(input.templateSlug ? { template: input.templateSlug } : {}) } });
  services.reconciler.nudge();
  return deployment;
}

/**
 * Records a new package deployment (desired: running; observed: pending) after the launch spec and the
 * package pass admission. The API only records intent: the reconciler launches it. Answers with the stored row.
 */
export async function createDeployment(ctx: DeploymentContext, team: Team, input: PackageDeploymentInput): Promise<Deployment> {
  const { services, principal } = ctx;
  assertNoEnvSecretOverlap(input.env, input.secrets);
  const verdict = await services.admission.admitPackage(input.package, teamPolicy(team));
  await services.launchChecker.check({ pinned: verdict, args: input.args, env: input.env, secretNames: Object.keys(input.secrets) });
  await checkCredentialRefs(ctx, team.id, input.secrets, principal.userId);
  return recordDeployment(ctx, team, {
    name: input.name,
    verdict,
    requestedSpec: input.package,
    launchSpec: storedSpec(input.args, input.env, input.secrets),
    region: input.region,
    size: input.size,
    within: (tx, id) => storeInlineSecrets(ctx, tx, id, input.secrets),
  });
}

/**
 * Changes a deployment's package or launch spec: re-admits, bumps the generation, and lets the reconciler
 * roll the machine. A new package range resolves to a new pinned version.
 */
export async function updateDeployment(ctx: DeploymentContext, dep: Deployment, input: UpdateDeploymentInput): Promise<Deployment> {
  const { services } = ctx;
  if (dep.desiredState === 'deleted') throw new NotFoundError('Deployment');
  if (dep.templateSlug && (input.package || input.args || input.env || input.secrets)) {
    throw new ConflictError('This deployment comes from a template: change its values instead (only size may be patched)', 'template_deployment');
  }
  const current = StoredLaunchSpecSchema.parse(dep.launchSpec);
  const env = input.env ?? current.env;
  const args = input.args ?? current.args;
  const secretNames = Object.keys(input.secrets ?? current.secrets);
  assertNoEnvSecretOverlap(env, Object.fromEntries(secretNames.map((name) => [name, true])));
  const team = await services.db.team.findUniqueOrThrow({ where: { id: dep.teamId } });
  const verdict = input.package ? await services.admission.admitPackage(input.package, teamPolicy(team)) : undefined;
  await services.launchChecker.check({ pinned: verdict ?? PinnedPackage.ofDeployment(dep), args, env, secretNames });
  if (input.secrets) await checkCredentialRefs(ctx, dep.teamId, input.secrets, dep.createdById ?? ctx.principal.userId);
  const now = services.clock.now();
  const launchSpec = input.secrets ? storedSpec(args, env, input.secrets) : { ...current, args, env };
  const updated = await services.db.$transaction(async (tx) => {
    const row = await tx.deployment.update({
      where: { id: dep.id, version: dep.version },
      data: {
        launchSpec,
        ...(input.size ? { size: input.size } : {}),
        ...(verdict
          ? { runtime: verdict.runtime, packageName: verdict.name, packageVersion: verdict.version, packageIntegrity: verdict.integrity ?? verdict.sha256 ?? null, requestedSpec: input.package, flags: verdict.flags }
          : {}),
        generation: { increment: 1 },
        version: { increment: 1 },
        nextReconcileAt: now,
      },
    }).catch((error: unknown) => {
      // Only "no row with this id and version" (P2025) is a conflict; anything else (a database outage: 503) propagates.
      if ((error as { code?: unknown }).code !== 'P2025') throw error;
      throw new ConflictError('The deployment changed while this request was made; read it again and retry', 'version_conflict');
    });
    if (input.secrets) await storeInlineSecrets(ctx, tx, dep.id, input.secrets);
    await recordEvent(tx, { deploymentId: dep.id, type: 'desired_changed', reason: `configuration changed (generation ${row.generation})`, at: now });
    return row;
  });
  await services.audit.record({ ...ctx.actor, action: 'deployment.update', resourceType: 'deployment', resourceId: dep.id, teamId: dep.teamId, data: { fields: Object.keys(input), generation: updated.generation } });
  services.reconciler.nudge();
  return updated;
}

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'delete';

/**
 * Records the caller's intent (start, stop, restart, delete) and nudges the reconciler; the machine follows
 * within a pass. Only intent is written (desired state, request stamps, the intent version): the reconciler
 * reads a start or restart stamp on a failed deployment as a fresh try and clears its crash-loop record.
 */
export async function requestLifecycle(ctx: DeploymentContext, dep: Deployment, action: LifecycleAction): Promise<Deployment> {
  const { services } = ctx;
  const now = services.clock.now();
  if (dep.desiredState === 'deleted') throw new NotFoundError('Deployment');
  if (action === 'start' && dep.state === 'awaiting_config') {
    throw new ConflictError('The deployment is waiting for configuration values', 'awaiting_config');
  }
  // Intent only: the reconciler claims a deleted `awaiting_config` row too (api/deployments/lease.ts) and removes it.
  const data: Prisma.DeploymentUpdateInput =
    action === 'delete'
      ? { desiredState: 'deleted' }
      : action === 'stop'
        ? { desiredState: 'stopped' }
        : action === 'start'
          ? { desiredState: 'running', startRequestedAt: now }
          : { desiredState: 'running', restartRequestedAt: now };
  const updated = await services.db.$transaction(async (tx) => {
    const row = await tx.deployment.update({ where: { id: dep.id }, data: { ...data, nextReconcileAt: now, version: { increment: 1 } } });
    await recordEvent(tx, { deploymentId: dep.id, type: 'desired_changed', reason: `${action} requested`, at: now });
    return row;
  });
  await services.audit.record({ ...ctx.actor, action: `deployment.${action}`, resourceType: 'deployment', resourceId: dep.id, teamId: dep.teamId });
  services.reconciler.nudge();
  return updated;
}
