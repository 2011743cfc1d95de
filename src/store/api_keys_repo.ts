/**
 * Rows of the `api_keys` table. Only a hash of each key's secret is stored.
 * @module
 */
import type { Database } from "./sqlite.ts";

/** An API key as stored (never the secret itself). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly secretHash: Uint8Array;
  readonly permissions: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

interface Row {
  id: string;
  name: string;
  secret_hash: Uint8Array;
  permissions: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

function toRecord(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    secretHash: r.secret_hash,
    permissions: r.permissions === "" ? [] : r.permissions.split(","),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** Repository over `api_keys`. */
export class ApiKeysRepo {
  constructor(private readonly db: Database) {}

  insert(key: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">): void {
    this.db.run(
      `INSERT INTO api_keys (id, name, secret_hash, permissions, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      key.id,
      key.name,
      key.secretHash,
      key.permissions.join(","),
      key.createdAt,
      key.expiresAt,
    );
  }

  find(id: string): ApiKeyRecord | undefined {
    const row = this.db.get<Row>("SELECT * FROM api_keys WHERE id = ?", id);
    return row ? toRecord(row) : undefined;
  }

  /** Every key, newest first, revoked ones included. */
  list(): ApiKeyRecord[] {
    return this.db.all<Row>("SELECT * FROM api_keys ORDER BY created_at DESC, id").map(toRecord);
  }

  /** Marks a key revoked; returns false when it does not exist or already was. */
  revoke(id: string, at: number): boolean {
    return this.db.run(
      "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      at,
      id,
    ).changes === 1;
  }

  touch(id: string, at: number): void {
    this.db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", at, id);
  }
}
