import type { Services } from '../services.ts';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Ready means: the database answers, and every migration this build ships has been applied. */
export async function checkReadiness(services: Pick<Services, 'pool' | 'migrations'>): Promise<Readiness> {
  let applied: Set<string>;
  try {
    const result = await services.pool.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    applied = new Set(result.rows.map((r) => r.migration_name));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01') return { ready: false, reason: 'database has no migrations applied' };
    return { ready: false, reason: 'database unreachable' };
  }
  const missing = services.migrations.filter((name) => !applied.has(name));
  if (missing.length > 0) return { ready: false, reason: `pending migrations: ${missing.join(', ')}` };
  return { ready: true };
}
