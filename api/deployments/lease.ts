import type pg from 'pg';

/**
 * Reconciler leases on deployment rows. A claim takes due rows that nobody holds (or whose lease expired)
 * with FOR UPDATE SKIP LOCKED, so any number of Hangar instances share the work and never act on the
 * same deployment at once. "Now" is a parameter, so tests drive time.
 */

/** Claims up to `limit` due deployments for `holder` until `now + leaseMs`; returns their ids. */
export async function claimDueDeployments(
  pool: pg.Pool,
  options: { holder: string; now: Date; leaseMs: number; limit: number },
): Promise<string[]> {
  const result = await pool.query<{ id: string }>(
    `UPDATE deployments d
        SET lease_holder = $1, lease_expires_at = $2
       FROM (SELECT id FROM deployments
              WHERE next_reconcile_at <= $3
                AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                AND state <> 'awaiting_config'
              ORDER BY next_reconcile_at
              LIMIT $4
              FOR UPDATE SKIP LOCKED) due
      WHERE d.id = due.id
      RETURNING d.id`,
    [options.holder, new Date(options.now.getTime() + options.leaseMs), options.now, options.limit],
  );
  return result.rows.map((row) => row.id);
}

/** Number of deployments due now and not leased: the reconciler's backlog (a metric). */
export async function countBacklog(pool: pg.Pool, now: Date): Promise<number> {
  const result = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deployments
      WHERE next_reconcile_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at < $1) AND state <> 'awaiting_config'`,
    [now],
  );
  return result.rows[0]?.n ?? 0;
}
