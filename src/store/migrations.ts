/**
 * Numbered schema migrations, applied in order at startup (SPEC §10). A
 * migration is never edited once released: changes go in a new one.
 * @module
 */
import type { Database } from "./sqlite.ts";
import { CanopyError } from "../util/errors.ts";

/** One step of the schema's history. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The schema's whole history. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "settings and api keys",
    sql: `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        encrypted INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash BLOB NOT NULL,
        permissions TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "web accounts and sessions",
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE sessions (
        id_hash BLOB PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_by_user ON sessions(user_id);
      CREATE TABLE login_failures (
        subject TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: "peers, messages and stream heads",
    sql: `
      CREATE TABLE peers (
        peer_id TEXT PRIMARY KEY,
        ed25519_key BLOB,
        x25519_key BLOB,
        bind BLOB,
        endpoints TEXT NOT NULL DEFAULT '[]',
        trust TEXT NOT NULL CHECK (trust IN ('accepted', 'pending', 'blocked')),
        source TEXT NOT NULL,
        name_enc BLOB,
        introduced_by TEXT,
        auto_connect INTEGER NOT NULL DEFAULT 1,
        added_at INTEGER NOT NULL,
        last_seen_at INTEGER,
        last_connected_at INTEGER,
        last_endpoint TEXT,
        last_error TEXT
      ) STRICT;
      CREATE TABLE messages (
        rowid INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE,
        kind INTEGER NOT NULL,
        stream TEXT NOT NULL,
        origin TEXT NOT NULL,
        seq INTEGER NOT NULL,
        origin_ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        recipient TEXT,
        peer TEXT,
        channel_id TEXT,
        envelope_enc BLOB NOT NULL,
        content_enc BLOB,
        state TEXT,
        state_at INTEGER,
        from_pending INTEGER NOT NULL DEFAULT 0,
        UNIQUE (stream, origin, seq)
      ) STRICT;
      CREATE INDEX messages_by_peer ON messages (peer, rowid);
      CREATE INDEX messages_by_channel ON messages (channel_id, rowid);
      CREATE INDEX messages_by_kind ON messages (kind, rowid);
      CREATE INDEX messages_outbox ON messages (recipient, rowid) WHERE state = 'queued';
      CREATE TABLE stream_heads (
        stream TEXT NOT NULL,
        origin TEXT NOT NULL,
        contiguous INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        PRIMARY KEY (stream, origin)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "profile cards and channels",
    sql: `
      CREATE TABLE profiles (
        peer_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        envelope_enc BLOB NOT NULL,
        card_enc BLOB NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        meta_seq INTEGER NOT NULL,
        meta_enc BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

/** The version a database has after all migrations. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The schema version of `db` (0 for a fresh database). */
export function schemaVersion(db: Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  return db.get<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations")?.v ?? 0;
}

/**
 * Brings `db` up to `target` (default: latest), each step in its own
 * transaction. Returns the versions applied. Refuses a database written by a
 * newer Canopy.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  target = migrations[migrations.length - 1]?.version ?? 0,
  now: () => number = Date.now,
): number[] {
  const current = schemaVersion(db);
  const known = migrations[migrations.length - 1]?.version ?? 0;
  if (current > known) {
    throw new CanopyError(
      "unavailable",
      `The database has schema version ${current}, newer than this Canopy knows (${known}); ` +
        "run a newer Canopy with this data directory",
    );
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.run(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        m.version,
        m.name,
        now(),
      );
    });
    applied.push(m.version);
  }
  return applied;
}
