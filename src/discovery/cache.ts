/**
 * The mDNS record cache (RFC 6762 §10): entries live for their TTL from the
 * moment they were last received, a TTL of 0 (goodbye) removes at once, and
 * the cache-flush bit retires older records of the same name and type one
 * second later (§10.2) — so a restarted instance's announcement replaces
 * what the cache held, and counts as fresh. Pure: the time is passed in.
 * Bounded: past `MAX_CACHE_ENTRIES`, new records are refused.
 * @module
 */

/** Most records held. */
export const MAX_CACHE_ENTRIES = 1024;
/** How long records superseded by a cache-flush announcement linger (ms, RFC 6762 §10.2). */
export const FLUSH_GRACE_MS = 1_000;

/** One cached record. */
export interface CacheEntry<T> {
  readonly key: string;
  /** Name and type: what a cache-flush announcement replaces. */
  readonly group: string;
  value: T;
  receivedAt: number;
  expiresAt: number;
}

/** What `put` did. */
export type PutOutcome = "new" | "refreshed" | "removed" | "absent" | "full";

/** A TTL cache of records, keyed by name, type and data. */
export class RecordCache<T> {
  readonly #entries = new Map<string, CacheEntry<T>>();

  constructor(readonly max: number = MAX_CACHE_ENTRIES) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be ≥ 1, got ${max}`);
  }

  /** Adds or refreshes a record; a TTL of 0 removes it (a goodbye, RFC 6762 §10.1). */
  put(key: string, group: string, value: T, ttlSeconds: number, now: number): PutOutcome {
    const existing = this.#entries.get(key);
    if (ttlSeconds <= 0) {
      if (!existing) return "absent";
      this.#entries.delete(key);
      return "removed";
    }
    const expiresAt = now + ttlSeconds * 1000;
    if (existing) {
      existing.value = value;
      existing.receivedAt = now;
      existing.expiresAt = expiresAt;
      return "refreshed";
    }
    if (this.#entries.size >= this.max) {
      this.sweep(now);
      if (this.#entries.size >= this.max) return "full";
    }
    this.#entries.set(key, { key, group, value, receivedAt: now, expiresAt });
    return "new";
  }

  /**
   * A cache-flush record arrived for `group`: its other records received
   * more than a second ago expire one second from now (RFC 6762 §10.2).
   */
  flush(group: string, now: number, keep: ReadonlySet<string>): void {
    for (const e of this.#entries.values()) {
      if (e.group !== group || keep.has(e.key)) continue;
      if (e.receivedAt <= now - FLUSH_GRACE_MS) {
        e.expiresAt = Math.min(e.expiresAt, now + FLUSH_GRACE_MS);
      }
    }
  }

  /** Removes expired records and returns them. */
  sweep(now: number): CacheEntry<T>[] {
    const gone: CacheEntry<T>[] = [];
    for (const e of this.#entries.values()) {
      if (e.expiresAt <= now) {
        this.#entries.delete(e.key);
        gone.push(e);
      }
    }
    return gone;
  }

  /** The live records of a group, most recently received first. */
  group(group: string, now: number): CacheEntry<T>[] {
    return [...this.#entries.values()]
      .filter((e) => e.group === group && e.expiresAt > now)
      .sort((a, b) => b.receivedAt - a.receivedAt);
  }

  /** Every live record. */
  entries(now: number): CacheEntry<T>[] {
    return [...this.#entries.values()].filter((e) => e.expiresAt > now);
  }

  /** Seconds of TTL a record has left (0 when absent or expired). */
  remaining(key: string, now: number): number {
    const e = this.#entries.get(key);
    return e ? Math.max(0, Math.floor((e.expiresAt - now) / 1000)) : 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
