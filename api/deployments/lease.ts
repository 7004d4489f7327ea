import type pg from 'pg';

/**
 * Reconciler leases on deployment rows. A claim takes due rows that nobody holds (or whose lease expired)
 * with FOR UPDATE SKIP LOCKED, so any number of Hangar instances share the work and never act on the
 * same deployment at once. "Now" is a parameter, so tests drive time. A deployment waiting for template
 * values is not due until nothing is missing or it is deleted: the reconciler then launches or removes it.
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
                AND NOT (state = 'awaiting_config' AND desired_state <> 'deleted' AND cardinality(missing_fields) > 0)
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
      WHERE next_reconcile_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at < $1)
        AND NOT (state = 'awaiting_config' AND desired_state <> 'deleted' AND cardinality(missing_fields) > 0)`,
    [now],
  );
  return result.rows[0]?.n ?? 0;
}
