import type { Prisma } from '../db/generated/client.ts';
import { newId } from '../platform/ids.ts';
import type { StoredSecret } from '../vault/vault.ts';

/**
 * Replaces a deployment's own secret values (deployment-scoped credentials: inline `secrets` values, or a
 * template deployment's secret user-tier values), already sealed by the vault, stamped with `now` from the
 * caller's clock. The one place they are written; it runs inside the transaction that stores the change.
 */
export async function replaceDeploymentSecrets(tx: Prisma.TransactionClient, deploymentId: string, sealed: Record<string, StoredSecret>, now: Date): Promise<void> {
  await tx.credential.deleteMany({ where: { deploymentId } });
  for (const [name, value] of Object.entries(sealed)) {
    await tx.credential.create({ data: { id: newId('cred'), scope: 'deployment', deploymentId, name, ciphertext: value.ciphertext, keyId: value.keyId, createdAt: now, updatedAt: now } });
  }
}
