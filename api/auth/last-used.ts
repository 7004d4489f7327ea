import type pg from 'pg';
import type { Logger } from '../platform/logger.ts';

/** A credential's recorded last use moves at most this often (it is shown to users, not used for decisions). */
export const LAST_USED_EVERY_MS = 60_000;

/**
 * `api_keys.last_used_at` and `sessions.last_seen_at`, batched: requests record in memory and one UPDATE
 * per table every `flushMs` writes them, so an authenticated request never waits on that write. A value
 * only moves forward (GREATEST), so instances writing the same credential cannot move it back.
 */
export class LastUsedWriter {
  private keys = new Map<string, Date>();
  private sessions = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { pool: pg.Pool; logger: Logger },
    private readonly flushMs = 5_000,
  ) {}

  /** Records a use of key `id` at `at`. */
  key(id: string, at: Date): void {
    this.keys.set(id, at);
    this.schedule();
  }

  /** Records a use of session `id` at `at`. */
  session(id: string, at: Date): void {
    this.sessions.set(id, at);
    this.schedule();
  }

  /** Writes what has been recorded; called by the timer, on shutdown, and by tests. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const [keys, sessions] = [this.keys, this.sessions];
    this.keys = new Map();
    this.sessions = new Map();
    const write = async (table: 'api_keys' | 'sessions', column: 'last_used_at' | 'last_seen_at', batch: Map<string, Date>) => {
      if (batch.size === 0) return;
      await this.deps.pool
        .query(
          `UPDATE ${table} AS t SET ${column} = GREATEST(COALESCE(t.${column}, u.at), u.at)
             FROM unnest($1::text[], $2::timestamp(3)[]) AS u(id, at) WHERE t.id = u.id`,
          [[...batch.keys()], [...batch.values()]],
        )
        .catch((error: unknown) => this.deps.logger.warn({ err: error, table }, 'last use not recorded'));
    };
    await write('api_keys', 'last_used_at', keys);
    await write('sessions', 'last_seen_at', sessions);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }
}
