import { readFileSync } from 'node:fs';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { z } from '@hono/zod-openapi';

/** argon2id with OWASP's minimum (m=19456 KiB, t=2, p=1), the floor the issue sets. */
// `Algorithm` is an ambient const enum (not importable as a value here); 2 is its Argon2id member.
const ARGON2_OPTIONS = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line && !line.startsWith('#')),
);

/** 8..128 characters; the common-password check is applied by `checkPasswordPolicy` (it needs the email). */
export const PasswordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128, 'must be at most 128 characters')
  .openapi({ description: 'At least 8 and at most 128 characters; common passwords are refused', example: 'correct horse battery staple' });

/** Why a password is refused by policy (beyond length), or undefined when it is acceptable. */
export function checkPasswordPolicy(password: string, email: string): string | undefined {
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is too common';
  const local = email.split('@')[0] ?? '';
  if (lower === email.toLowerCase() || (local.length >= 4 && lower === local.toLowerCase())) return 'must not be your email address';
  return undefined;
}

/** Hashes a password with argon2id (PHC string with salt and parameters). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** True when `password` matches the argon2 `passwordHash`; false (never a throw) for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Verifies `password` against a real hash of a random value with the same parameters, so a login for an
 * unknown email costs exactly as much time as a wrong password for a known one.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  await verifyPassword(await dummy, password);
  return false;
}
