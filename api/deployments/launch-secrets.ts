import type { Deployment } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import type { Clock } from '../platform/clock.ts';
import type { StoredSecret, Vault } from '../vault/vault.ts';
import { RUNNER_TOKEN_ENV, StoredLaunchSpecSchema } from './launch.ts';
import type { LaunchSecretsSource } from './reconciler.ts';

/**
 * Raised when a secret a deployment references no longer exists: a credential (`credential_missing`) or a
 * template secret value (`template_secret_missing`). The reconciler ends the deployment in `failed` with it.
 */
export class MissingCredentialError extends Error {
  constructor(
    message: string,
    readonly code: 'credential_missing' | 'template_secret_missing' = 'credential_missing',
  ) {
    super(message);
  }
}

/**
 * Where a template deployment's secret fields come from, as they resolve now (sealed, by env name). The
 * catalog provides it (api/catalog/resolve.ts `createTemplateSecretSource`) and the composition root hands
 * it in, so deployments never imports the catalog. Throws MissingCredentialError(`template_secret_missing`).
 */
export interface TemplateSecretSource {
  sealed(dep: Deployment, template: { slug: string; values: Record<string, string | number | boolean> }, names: string[]): Promise<Record<string, StoredSecret>>;
}

/**
 * The launcher's view of the vault: decrypts exactly the secrets one deployment declares (user credential
 * of its creator over the team's of the same name, inline values, template secret fields merged over their
 * tiers as they are now) plus its runner token, and records which deployment last used each credential.
 * The only code path that turns credentials into plaintext.
 */
export function createLaunchSecrets(deps: { db: Db; vault: Vault; clock: Clock; templateSecrets: TemplateSecretSource }): LaunchSecretsSource {
  return {
    async resolve(dep: Deployment): Promise<Record<string, string>> {
      const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
      const referenced = [...new Set(Object.values(spec.secrets).flatMap((s) => ('credential' in s ? [s.credential] : [])))];
      const rows = await deps.db.credential.findMany({
        where: {
          OR: [
            { scope: 'deployment', deploymentId: dep.id },
            ...(referenced.length ? [{ scope: 'team' as const, teamId: dep.teamId, name: { in: referenced } }] : []),
            ...(referenced.length && dep.createdById ? [{ scope: 'user' as const, userId: dep.createdById, name: { in: referenced } }] : []),
          ],
        },
      });
      const values: Record<string, string> = {};
      const used: string[] = [];
      const templateNames = Object.entries(spec.secrets).flatMap(([env, source]) => ('template' in source ? [env] : []));
      const templateSealed = templateNames.length && spec.template
        ? await deps.templateSecrets.sealed(dep, spec.template, templateNames)
        : {};
      for (const [env, source] of Object.entries(spec.secrets)) {
        if ('template' in source) {
          const sealed = templateSealed[env];
          if (!sealed) throw new MissingCredentialError(`secret ${env} refers to a template value that no longer exists`, 'template_secret_missing');
          values[env] = deps.vault.decrypt(sealed);
          continue;
        }
        const row =
          'credential' in source
            ? (rows.find((r) => r.scope === 'user' && r.name === source.credential) ?? rows.find((r) => r.scope === 'team' && r.name === source.credential))
            : rows.find((r) => r.scope === 'deployment' && r.name === env);
        if (!row) throw new MissingCredentialError(`secret ${env} refers to a credential that no longer exists`);
        values[env] = deps.vault.decrypt({ ciphertext: row.ciphertext, keyId: row.keyId });
        if (row.scope !== 'deployment') used.push(row.id);
      }
      values[RUNNER_TOKEN_ENV] = deps.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
      if (used.length) {
        // Raw SQL so `updated_at` keeps meaning "value last replaced" (Prisma would bump it).
        await deps.db.$executeRaw`UPDATE credentials SET last_used_at = ${deps.clock.now()}, last_used_by = ${dep.id} WHERE id = ANY(${used})`;
      }
      return values;
    },
  };
}
