import { newId } from '../api/platform/ids.ts';
import type { TestHangar } from './hangar.ts';

/**
 * Writes a `running` deployment row straight into the database (no launch, no Fly): for tests that need a
 * real deployment to exist for routes and guards. It is never due, so a reconciler leaves it alone.
 */
export async function seedDeployment(hangar: TestHangar, owner: { teamId: string; userId: string; name: string }): Promise<string> {
  const id = newId('dep');
  const token = hangar.services.vault.encrypt(`hrt_${owner.name}-runner-token`);
  await hangar.services.db.deployment.create({
    data: {
      id,
      teamId: owner.teamId,
      createdById: owner.userId,
      name: owner.name,
      runtime: 'npm',
      packageName: '@acme/mcp-tools',
      packageVersion: '1.1.0',
      requestedSpec: 'npm:@acme/mcp-tools@1.1.0',
      launchSpec: { args: [], env: {}, secrets: {} },
      region: 'iad',
      size: 'shared-cpu-1x',
      state: 'running',
      runnerTokenCipher: token.ciphertext,
      runnerTokenKeyId: token.keyId,
      nextReconcileAt: new Date(hangar.services.clock.now().getTime() + 86_400_000),
    },
  });
  return id;
}
