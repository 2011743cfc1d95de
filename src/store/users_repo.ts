/**
 * Rows of the web-account tables of migration 2: `users`, `sessions` and
 * `login_failures` (SPEC §9). Sessions are stored by the SHA-256 of their
 * token, never the token itself.
 * @module
 */
import type { Database } from "./sqlite.ts";

/** A web account. */
export interface UserRecord {
  readonly id: number;
  readonly username: string;
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly passwordChangedAt: number;
}

/** A login session, with its user's name. */
export interface SessionRecord {
  readonly idHash: Uint8Array;
  readonly userId: number;
  readonly username: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  /** The absolute end of the session (ms since the epoch). */
  readonly expiresAt: number;
  readonly lastSeenAt: number;
}

/** Failed attempts counted against one subject (an account or an address). */
export interface FailureRecord {
  readonly failures: number;
  readonly lastFailureAt: number;
}

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  created_at: number;
  password_changed_at: number;
}

interface SessionRow {
  id_hash: Uint8Array;
  user_id: number;
  username: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  passwordChangedAt: r.password_changed_at,
});

const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  userId: r.user_id,
  username: r.username,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastSeenAt: r.last_seen_at,
});

/** Repository over `users`, `sessions` and `login_failures`. */
export class UsersRepo {
  constructor(private readonly db: Database) {}

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  // ---- users ---------------------------------------------------------------------------------

  count(): number {
    return this.db.get<{ n: number }>("SELECT count(*) AS n FROM users")?.n ?? 0;
  }

  /** Inserts an account; returns it. */
  create(username: string, passwordHash: string, at: number): UserRecord {
    const { lastInsertRowid } = this.db.run(
      `INSERT INTO users (username, password_hash, created_at, password_changed_at)
       VALUES (?, ?, ?, ?)`,
      username,
      passwordHash,
      at,
      at,
    );
    return this.findById(Number(lastInsertRowid))!;
  }

  /** The account with this name (case-insensitive), if any. */
  findByName(username: string): UserRecord | undefined {
    const row = this.db.get<UserRow>("SELECT * FROM users WHERE username = ?", username);
    return row ? toUser(row) : undefined;
  }

  findById(id: number): UserRecord | undefined {
    const row = this.db.get<UserRow>("SELECT * FROM users WHERE id = ?", id);
    return row ? toUser(row) : undefined;
  }

  setPassword(id: number, passwordHash: string, at: number): void {
    this.db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
      passwordHash,
      at,
      id,
    );
  }

  // ---- sessions ------------------------------------------------------------------------------

  insertSession(s: Omit<SessionRecord, "username">): void {
    this.db.run(
      `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      s.idHash,
      s.userId,
      s.csrfToken,
      s.createdAt,
      s.expiresAt,
      s.lastSeenAt,
    );
  }

  findSession(idHash: Uint8Array): SessionRecord | undefined {
    const row = this.db.get<SessionRow>(
      `SELECT s.*, u.username FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id_hash = ?`,
      idHash,
    );
    return row ? toSession(row) : undefined;
  }

  touchSession(idHash: Uint8Array, at: number): void {
    this.db.run("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", at, idHash);
  }

  /** Deletes one session; true when it existed. */
  deleteSession(idHash: Uint8Array): boolean {
    return this.db.run("DELETE FROM sessions WHERE id_hash = ?", idHash).changes === 1;
  }

  /** Deletes every session of a user except `keep`; returns how many. */
  deleteSessionsOfUser(userId: number, keep?: Uint8Array): number {
    return Number(
      keep
        ? this.db.run(
          "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?",
          userId,
          keep,
        ).changes
        : this.db.run("DELETE FROM sessions WHERE user_id = ?", userId).changes,
    );
  }

  /** Deletes sessions past their absolute end or idle since before `idleBefore`. */
  pruneSessions(now: number, idleBefore: number): number {
    return Number(
      this.db.run(
        "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?",
        now,
        idleBefore,
      ).changes,
    );
  }

  /** Keeps only the `keep` most recently used sessions of a user. */
  trimSessions(userId: number, keep: number): number {
    return Number(
      this.db.run(
        `DELETE FROM sessions WHERE user_id = ? AND id_hash NOT IN (
           SELECT id_hash FROM sessions WHERE user_id = ?
           ORDER BY last_seen_at DESC, created_at DESC LIMIT ?)`,
        userId,
        userId,
        keep,
      ).changes,
    );
  }

  // ---- login failures ------------------------------------------------------------------------

  failure(subject: string): FailureRecord | undefined {
    const row = this.db.get<{ failures: number; last_failure_at: number }>(
      "SELECT failures, last_failure_at FROM login_failures WHERE subject = ?",
      subject,
    );
    return row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : undefined;
  }

  /** Counts one more failure for `subject` (starting over when the last one is older than `resetBefore`). */
  recordFailure(subject: string, at: number, resetBefore: number): void {
    this.db.run(
      `INSERT INTO login_failures (subject, failures, last_failure_at) VALUES (?, 1, ?)
       ON CONFLICT(subject) DO UPDATE SET
         failures = CASE WHEN last_failure_at < ? THEN 1 ELSE failures + 1 END,
         last_failure_at = excluded.last_failure_at`,
      subject,
      at,
      resetBefore,
    );
  }

  clearFailures(subject: string): void {
    this.db.run("DELETE FROM login_failures WHERE subject = ?", subject);
  }

  /** Forgets failures older than `before`, and the oldest beyond `keep` rows. */
  pruneFailures(before: number, keep: number): void {
    this.db.run("DELETE FROM login_failures WHERE last_failure_at < ?", before);
    this.db.run(
      `DELETE FROM login_failures WHERE subject NOT IN (
         SELECT subject FROM login_failures ORDER BY last_failure_at DESC LIMIT ?)`,
      keep,
    );
  }
}
