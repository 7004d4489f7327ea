import pg from 'pg';
import type { ApiKey, Session, User } from '../db/generated/client.ts';
import type { Logger } from '../platform/logger.ts';

/** The PostgreSQL channel the auth triggers notify (prisma/migrations/20261204230000_auth_invalidation). */
export const AUTH_CHANNEL = 'hangar_auth';

/** A statement that may change what a cached credential says (teams: cascades to team-narrowed keys). */
const AUTH_WRITE = /\b(?:update|delete\s+from|insert\s+into|truncate(?:\s+table)?)\s+(?:"?public"?\.)?"?(?:users|api_keys|sessions|teams)\b/i;
const WATCHED = Symbol('credential-cache-watched');

/** What a credential lookup found: the key or session row with its user, as the database had them. */
export type CachedCredential = { kind: 'key'; key: ApiKey; user: User } | { kind: 'session'; session: Session; user: User };

interface Entry {
  credential: CachedCredential;
  /** Cached until then at the latest (a safety net; invalidation is by notification). */
  staleAtMs: number;
}

/**
 * In-process cache of API-key and session lookups (by token digest), so an authenticated request does not
 * read PostgreSQL. Correctness comes from LISTEN/NOTIFY, not from the TTL: triggers on `api_keys`,
 * `sessions` and `users` notify `hangar_auth` in the changing transaction, and every instance drops the
 * affected entries when it commits. The cache is used only while this instance's listener is connected;
 * while it is not (start, connection loss) every lookup reads the database, and a reconnect clears the cache
 * (notifications may have been missed). A lookup that raced an invalidation is not stored (generation check).
 * Expiry and disabling are still checked on every request against the cached row and the clock.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private listening = false;
  private listener: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly deps: { pool: pg.Pool; logger: Logger },
    private readonly options: { ttlMs: number; maxEntries: number } = { ttlMs: 60_000, maxEntries: 50_000 },
  ) {}

  /** Connects the listener (retrying in the background on failure); resolves once the first attempt ended. */
  async start(): Promise<void> {
    this.watchLocalWrites();
    await this.connect();
  }

  /** True once invalidations are being received, i.e. while cached entries may be served. */
  get active(): boolean {
    return this.listening;
  }

  /** The current generation; pass it to `store` so a lookup that raced an invalidation is dropped. */
  snapshot(): number {
    return this.generation;
  }

  /** The cached lookup for `digest`, if the cache is active and holds a fresh one. */
  get(digest: string, nowMs: number): CachedCredential | undefined {
    if (!this.listening) return undefined;
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (entry.staleAtMs <= nowMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry.credential;
  }

  /** Keeps a database lookup, unless an invalidation (or a listener change) happened since `generation`. */
  store(digest: string, credential: CachedCredential, generation: number, nowMs: number): void {
    if (!this.listening || generation !== this.generation) return;
    if (this.entries.size >= this.options.maxEntries) this.entries.clear();
    this.entries.set(digest, { credential, staleAtMs: nowMs + this.options.ttlMs });
  }

  /** Drops every entry a notification payload (`key:<id>`, `ses:<id>`, `usr:<id>`) names. */
  invalidate(payload: string): void {
    this.generation += 1;
    const [kind, id] = [payload.slice(0, 3), payload.slice(4)];
    for (const [digest, { credential: c }] of this.entries) {
      const hit =
        kind === 'usr' ? c.user.id === id : kind === 'key' ? c.kind === 'key' && c.key.id === id : kind === 'ses' ? c.kind === 'session' && c.session.id === id : true;
      if (hit) this.entries.delete(digest);
    }
  }

  /** Resolves after the next notification this instance receives (tests wait on it instead of sleeping). */
  nextInvalidation(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  /** Stops listening and forgets everything. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.goDark();
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /**
   * Read-your-writes on this instance: a notification arrives a moment after its commit, so a write to
   * `users`, `api_keys`, `sessions` or `teams` through this instance's pool (Prisma or raw SQL) clears the
   * cache as soon as the statement returns, before its caller continues (and so before any commit).
   * Other instances rely on the notification.
   */
  private watchLocalWrites(): void {
    const pool = this.deps.pool as pg.Pool & { [WATCHED]?: true };
    if (pool[WATCHED]) return;
    pool[WATCHED] = true;
    const clearOnWrite = (text: unknown, result: unknown): unknown => {
      if (typeof text === 'string' && AUTH_WRITE.test(text) && result instanceof Promise) {
        this.invalidate('all:local');
        return result.finally(() => this.invalidate('all:local'));
      }
      return result;
    };
    const textOf = (arg: unknown): unknown => (typeof arg === 'string' ? arg : (arg as { text?: unknown } | null)?.text);
    const wrapClient = (client: pg.PoolClient & { [WATCHED]?: true }) => {
      if (client[WATCHED]) return client;
      client[WATCHED] = true;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => clearOnWrite(textOf(args[0]), query(...args));
      return client;
    };
    const poolQuery = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as { query: unknown }).query = (...args: unknown[]) => clearOnWrite(textOf(args[0]), poolQuery(...args));
    const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
    (pool as { connect: unknown }).connect = (...args: unknown[]) => {
      const result = connect(...args);
      return result instanceof Promise ? result.then((client: pg.PoolClient) => wrapClient(client)) : result;
    };
  }

  private goDark(): void {
    this.listening = false;
    this.generation += 1;
    this.entries.clear();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.deps.pool.options);
    const lost = (error?: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.goDark();
      if (!this.closed) {
        this.deps.logger.warn({ err: error }, 'credential cache listener lost; reading credentials from the database until it reconnects');
        this.retry = setTimeout(() => void this.connect(), 1000).unref();
      }
      void client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel !== AUTH_CHANNEL) return;
      this.invalidate(message.payload ?? '');
      for (const wake of this.waiters) wake();
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      if (this.listener !== client || this.closed) return;
      this.entries.clear();
      this.generation += 1;
      this.listening = true;
    } catch (error) {
      lost(error);
    }
  }
}
