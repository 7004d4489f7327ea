import type { Credential, Prisma } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock } from '../platform/clock.ts';
import { newId } from '../platform/ids.ts';
import type { Vault } from '../vault/vault.ts';

/**
 * Whose credentials an operation touches. Inline deployment secrets (`scope: deployment`) are owned by
 * api/deployments and are never reachable through this service.
 */
export type CredentialOwner = { scope: 'team'; teamId: string } | { scope: 'user'; userId: string };

/** What the credential service needs; no HTTP in here. */
export interface CredentialDeps {
  db: Db;
  vault: Vault;
  clock: Clock;
}

/** The one filter every query goes through, so no call can reach another owner's rows or deployment secrets. */
export function ownerWhere(owner: CredentialOwner): Prisma.CredentialWhereInput {
  return owner.scope === 'team' ? { scope: 'team', teamId: owner.teamId } : { scope: 'user', userId: owner.userId };
}

/** One page of the owner's credentials by name; `after` is the last name of the previous page. */
export async function listCredentials(deps: CredentialDeps, owner: CredentialOwner, page: { limit: number; after?: string }): Promise<{ rows: Credential[]; next: string | null }> {
  const rows = await deps.db.credential.findMany({
    where: { ...ownerWhere(owner), ...(page.after !== undefined ? { name: { gt: page.after } } : {}) },
    orderBy: { name: 'asc' },
    take: page.limit + 1,
  });
  const shown = rows.slice(0, page.limit);
  return { rows: shown, next: rows.length > page.limit ? (shown.at(-1)?.name ?? null) : null };
}

async function findOwned(deps: CredentialDeps, owner: CredentialOwner, name: string): Promise<Credential> {
  const row = await deps.db.credential.findFirst({ where: { ...ownerWhere(owner), name } });
  if (!row) throw new NotFoundError('Credential');
  return row;
}

/** Encrypts and stores a new credential; 409 `credential_exists` when the owner already has that name. */
export async function createCredential(deps: CredentialDeps, owner: CredentialOwner, input: { name: string; value: string }): Promise<Credential> {
  const sealed = deps.vault.encrypt(input.value);
  const now = deps.clock.now();
  const id = newId('cred');
  // ON CONFLICT DO NOTHING on the (team, name) / (user, name) unique index: two racing creates give one 201 and one 409.
  const { count } = await deps.db.credential.createMany({
    data: [{ id, scope: owner.scope, teamId: owner.scope === 'team' ? owner.teamId : null, userId: owner.scope === 'user' ? owner.userId : null, name: input.name, ...sealed, createdAt: now, updatedAt: now }],
    skipDuplicates: true,
  });
  if (count === 0) throw new ConflictError(`A credential named ${input.name} already exists`, 'credential_exists');
  return deps.db.credential.findUniqueOrThrow({ where: { id } });
}

/**
 * Replaces a credential's value (new ciphertext under the newest key). Running machines keep the value
 * they booted with until they are restarted: the launcher reads credentials only at launch.
 */
export async function replaceCredential(deps: CredentialDeps, owner: CredentialOwner, name: string, value: string): Promise<Credential> {
  const sealed = deps.vault.encrypt(value);
  const { count } = await deps.db.credential.updateMany({ where: { ...ownerWhere(owner), name }, data: { ...sealed, updatedAt: deps.clock.now() } });
  if (count === 0) throw new NotFoundError('Credential');
  return findOwned(deps, owner, name);
}

/** Deletes a credential and answers the row it was. Deployments that reference it fail at their next launch. */
export async function deleteCredential(deps: CredentialDeps, owner: CredentialOwner, name: string): Promise<Credential> {
  const row = await findOwned(deps, owner, name);
  const { count } = await deps.db.credential.deleteMany({ where: { id: row.id, ...ownerWhere(owner) } });
  if (count === 0) throw new NotFoundError('Credential');
  return row;
}
