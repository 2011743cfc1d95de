/**
 * API keys (SPEC §9): 32 random bytes shown once, stored as a SHA-256 hash,
 * compared in constant time, with a name, permissions, optional expiry,
 * last-used time and revocation.
 *
 * A key reads `cnp_<id>_<secret>`: the id finds the row, the secret is
 * checked against the stored hash.
 * @module
 */
import { randomBytes, sha256 } from "../crypto/mod.ts";
import type { ApiKeyRecord, ApiKeysRepo } from "../store/api_keys_repo.ts";
import { toBase58 } from "../util/base58.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { equalBytes } from "../util/bytes.ts";
import { CanopyError, invalidField } from "../util/errors.ts";
import { type Permission, PERMISSIONS } from "../config/config.ts";

/** Bytes of randomness in a key's secret. */
export const API_KEY_SECRET_BYTES = 32;
/** How often the last-used time is written at most (ms): saves a write per request. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Longest key name (characters). */
export const MAX_KEY_NAME_LENGTH = 100;
/** Longest expiry (days). */
export const MAX_EXPIRES_DAYS = 36500;

const KEY_RE = /^cnp_([1-9A-HJ-NP-Za-km-z]{8,16})_([A-Za-z0-9_-]{43})$/;
const DAY_MS = 86_400_000;

/** Who a request acts as once its API key checked out. */
export interface KeyPrincipal {
  readonly kind: "api_key";
  readonly keyId: string;
  readonly name: string;
  readonly permissions: ReadonlySet<Permission>;
}

/** A key as shown to its owner (never with the secret, except right after creation). */
export interface ApiKeyView {
  id: string;
  name: string;
  permissions: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  status: "active" | "expired" | "revoked";
}

/** What `create` returns: the view plus the key itself, shown this once. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
}

/** Options of `ApiKeyService.create`. */
export interface CreateKeyOptions {
  name: string;
  permissions: readonly Permission[];
  expiresDays?: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Creates, lists, revokes and checks API keys. */
export class ApiKeyService {
  constructor(
    private readonly repo: ApiKeysRepo,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a key; the returned `key` is the only time the secret exists in clear. */
  create(options: CreateKeyOptions): CreatedApiKey {
    const name = options.name.trim();
    if (name === "" || name.length > MAX_KEY_NAME_LENGTH) {
      throw invalidField("name", `name must be 1-${MAX_KEY_NAME_LENGTH} characters`);
    }
    for (const p of options.permissions) {
      if (!PERMISSIONS.includes(p)) throw invalidField("permissions", `unknown permission ${p}`);
    }
    const days = options.expiresDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRES_DAYS)) {
      throw invalidField(
        "expires_days",
        `expires_days must be a whole number 1-${MAX_EXPIRES_DAYS}`,
      );
    }
    const id = toBase58(randomBytes(8)).padStart(11, "1");
    const secret = randomBytes(API_KEY_SECRET_BYTES);
    const createdAt = this.now();
    const record = {
      id,
      name,
      secretHash: sha256(secret),
      permissions: [...new Set(options.permissions)],
      createdAt,
      expiresAt: days === undefined ? null : createdAt + days * DAY_MS,
    };
    this.repo.insert(record);
    const key = `cnp_${id}_${toBase64Url(secret)}`;
    secret.fill(0);
    return { key, ...this.#view({ ...record, lastUsedAt: null, revokedAt: null }) };
  }

  /** Every key, newest first. */
  list(): ApiKeyView[] {
    return this.repo.list().map((r) => this.#view(r));
  }

  /** Revokes a key; throws `not_found` for an unknown or already revoked id. */
  revoke(id: string): ApiKeyView {
    if (!this.repo.revoke(id, this.now())) {
      const existing = this.repo.find(id);
      if (!existing) throw new CanopyError("not_found", `No API key with id ${id}`);
      throw new CanopyError("conflict", `API key ${id} was already revoked`);
    }
    return this.#view(this.repo.find(id)!);
  }

  /** Checks a presented key; throws `unauthorized` with the reason. */
  authenticate(presented: string): KeyPrincipal {
    const m = KEY_RE.exec(presented.trim());
    if (!m) throw new CanopyError("unauthorized", "The API key is malformed");
    const record = this.repo.find(m[1]);
    const secret = fromBase64Url(m[2]);
    // Compare even for an unknown id, so timing does not tell which ids exist.
    const expected = record?.secretHash ?? new Uint8Array(32);
    const ok = equalBytes(sha256(secret), expected) && record !== undefined;
    if (!ok) throw new CanopyError("unauthorized", "The API key is not valid");
    const now = this.now();
    if (record.revokedAt !== null) {
      throw new CanopyError("unauthorized", "The API key has been revoked");
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new CanopyError("unauthorized", "The API key has expired");
    }
    if (record.lastUsedAt === null || now - record.lastUsedAt >= TOUCH_INTERVAL_MS) {
      this.repo.touch(record.id, now);
    }
    return {
      kind: "api_key",
      keyId: record.id,
      name: record.name,
      permissions: new Set(record.permissions as Permission[]),
    };
  }

  #view(r: ApiKeyRecord): ApiKeyView {
    const status = r.revokedAt !== null
      ? "revoked"
      : r.expiresAt !== null && r.expiresAt <= this.now()
      ? "expired"
      : "active";
    return {
      id: r.id,
      name: r.name,
      permissions: [...r.permissions],
      created_at: iso(r.createdAt)!,
      expires_at: iso(r.expiresAt),
      last_used_at: iso(r.lastUsedAt),
      revoked_at: iso(r.revokedAt),
      status,
    };
  }
}
