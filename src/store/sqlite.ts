/**
 * The node:sqlite adapter — the only file that imports `node:sqlite` (SPEC §10).
 *
 * One connection per process is the one writer. WAL lets readers (the
 * `canopy keys` CLI, say) work beside a running node.
 *
 * Durability: WAL with `synchronous=NORMAL`. A committed transaction is in
 * the WAL before `commit` returns, so it survives the node being killed at
 * any instant (tests kill -9 nodes mid-stream). The WAL is fsynced at each
 * checkpoint, and `checkpointEvery` runs one at least every second while
 * there are writes, so an OS crash or power loss can lose at most the last
 * second. `synchronous=FULL` (an fsync per commit) measured 4 commits ×
 * ~0.2 ms of blocked event loop per message and halved throughput
 * (bench/mesh.ts); the trade is written down in docs/ARCHITECTURE.md.
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { clearImmediate, setImmediate } from "node:timers";
import { CanopyError } from "../util/errors.ts";

/** Milliseconds a writer waits for a lock held by another process. */
export const BUSY_TIMEOUT_MS = 5000;
/** Longest time (ms) written data waits for an fsync'ing checkpoint. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** A group commit never holds more jobs than this; it is flushed at once. */
export const BATCH_MAX_JOBS = 512;
/** Prepared statements kept per connection. */
export const STATEMENT_CACHE_SIZE = 256;

/** A value that can be bound to a statement parameter. */
export type SqlValue = SQLInputValue;

/** Result of a write statement. */
export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: number;
}

/** Thin, synchronous wrapper over one `DatabaseSync` connection. */
export class Database {
  readonly path: string;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #depth = 0;
  #closed = false;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /** Opens (creating if needed) the database at `path` (":memory:" for tests). */
  static open(path: string): Database {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
    } catch (e) {
      throw translate(e);
    }
    const wrapped = new Database(path, db);
    if (path !== ":memory:") wrapped.exec("PRAGMA journal_mode = WAL");
    wrapped.exec("PRAGMA synchronous = NORMAL");
    wrapped.exec("PRAGMA foreign_keys = ON");
    return wrapped;
  }

  #prepare(sql: string): StatementSync {
    if (this.#closed) throw new CanopyError("unavailable", "The database is closed");
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Runs a write statement. */
  run(sql: string, ...params: SqlValue[]): RunResult {
    try {
      const r = this.#prepare(sql).run(...params);
      this.#writes++;
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    } catch (e) {
      throw translate(e);
    }
  }

  /** Returns the first row, or undefined. */
  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    try {
      return this.#prepare(sql).get(...params) as T | undefined;
    } catch (e) {
      throw translate(e);
    }
  }

  /** Returns every row. */
  all<T>(sql: string, ...params: SqlValue[]): T[] {
    try {
      return this.#prepare(sql).all(...params) as T[];
    } catch (e) {
      throw translate(e);
    }
  }

  /** Runs one or more statements without parameters. */
  exec(sql: string): void {
    if (this.#closed) throw new CanopyError("unavailable", "The database is closed");
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw translate(e);
    }
  }

  /**
   * Runs `fn` in a transaction (a savepoint when nested): committed when it
   * returns, rolled back when it throws. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    const savepoint = `sp${this.#depth}`;
    this.exec(this.#depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    try {
      const result = fn();
      if (result instanceof Promise) {
        throw new Error("bug: transaction callback must be synchronous");
      }
      this.#depth--;
      this.exec(this.#depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.#depth--;
      for (const hook of this.#rollbackHooks) hook();
      try {
        this.exec(
          this.#depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`,
        );
      } catch {
        // The transaction may already be gone (SQLite rolls back on some errors).
      }
      throw e;
    }
  }

  /**
   * Group commit: queues `fn` to run inside one transaction together with
   * every other `batch` call of the same turn of the event loop, and
   * resolves after that transaction committed (so an acknowledgement sent
   * afterwards is durable). If one job throws, only that job fails: the
   * others are retried in a transaction of their own.
   */
  batch<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#batch.length === 1) {
        // Commit once the current turn of the event loop is done: every write
        // queued in it shares the commit. (setImmediate: setTimeout(0) waits
        // about 2 ms in Deno, which would be every message's latency.)
        this.#flushTimer = setImmediate(() => this.#flush());
      } else if (this.#batch.length >= BATCH_MAX_JOBS) {
        this.#flush();
      }
    });
  }

  #batch: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  #flushTimer: ReturnType<typeof setImmediate> | undefined;

  #flush(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
    const jobs = this.#batch.splice(0);
    if (jobs.length === 0) return;
    const results: unknown[] = [];
    try {
      this.transaction(() => {
        for (const job of jobs) results.push(job.fn());
      });
    } catch {
      // Run them one by one so a single bad job cannot fail the others.
      for (const job of jobs) {
        try {
          job.resolve(this.transaction(job.fn));
        } catch (e) {
          job.reject(e);
        }
      }
      return;
    }
    jobs.forEach((job, i) => job.resolve(results[i]));
  }

  #rollbackHooks: (() => void)[] = [];

  /** Registers a callback run whenever a transaction rolls back (caches drop their state). */
  onRollback(hook: () => void): void {
    this.#rollbackHooks.push(hook);
  }

  #writes = 0;
  #checkpointTimer: ReturnType<typeof setInterval> | undefined;

  /** Checkpoints (fsyncing the WAL) every `ms` while writes happened since the last one. */
  checkpointEvery(ms = CHECKPOINT_INTERVAL_MS): void {
    clearInterval(this.#checkpointTimer);
    let seen = this.#writes;
    this.#checkpointTimer = setInterval(() => {
      if (this.#writes === seen || this.#closed) return;
      seen = this.#writes;
      try {
        this.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch {
        // busy or full disk: the next round tries again
      }
    }, ms);
  }

  /** Writes the WAL back into the main file (used at shutdown and by tests). */
  checkpoint(): void {
    this.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#checkpointTimer);
    this.#flush();
    this.#closed = true;
    this.#statements.clear();
    try {
      this.#db.exec("PRAGMA optimize");
    } catch {
      // best effort
    }
    this.#db.close();
  }

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.#closed;
  }
}

/** Turns SQLite's errors about the disk into stable error codes. */
function translate(e: unknown): unknown {
  if (e instanceof CanopyError) return e;
  const err = e as { errcode?: number; message?: string };
  const primary = typeof err.errcode === "number" ? err.errcode & 0xff : -1;
  if (primary === 13 || /disk is full|database or disk is full/i.test(err.message ?? "")) {
    return new CanopyError(
      "storage_full",
      "The disk holding the database is full; free some space and try again",
    );
  }
  return e;
}
