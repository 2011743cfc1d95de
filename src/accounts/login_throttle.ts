/**
 * Slowing down password guessing (SPEC §9): failed logins are counted per
 * account and per client address; past a few free attempts each further
 * failure doubles a lockout window, up to a cap, during which attempts are
 * refused with 429 and a Retry-After before any password is hashed.
 *
 * Attempts still being checked count as failures until they succeed, so a
 * burst of parallel guesses cannot slip in before the first one is
 * recorded. Counts live in `login_failures` and survive a restart.
 * @module
 */
import type { UsersRepo } from "../store/users_repo.ts";
import { CanopyError } from "../util/errors.ts";

/** Failures allowed per account before the lockout window starts. */
export const FREE_FAILURES_PER_ACCOUNT = 5;
/** Failures allowed per address before the lockout window starts (addresses may be shared). */
export const FREE_FAILURES_PER_ADDRESS = 10;
/** The first lockout window (ms); it doubles with each further failure. */
export const LOCKOUT_BASE_MS = 1_000;
/** The longest lockout window (ms). */
export const LOCKOUT_MAX_MS = 15 * 60_000;
/** A subject's count starts over when its last failure is older than this (ms). */
export const FAILURE_MEMORY_MS = 24 * 60 * 60_000;
/** Rows kept in `login_failures` at most. */
export const MAX_FAILURE_ROWS = 10_000;

/** Options of `LoginThrottle`. */
export interface LoginThrottleOptions {
  readonly now?: () => number;
  /** Default {@link FREE_FAILURES_PER_ACCOUNT}. */
  readonly freePerAccount?: number;
  /** Default {@link FREE_FAILURES_PER_ADDRESS}. */
  readonly freePerAddress?: number;
  /** Default {@link LOCKOUT_BASE_MS}. */
  readonly baseMs?: number;
  /** Default {@link LOCKOUT_MAX_MS}. */
  readonly maxMs?: number;
}

/** The subjects one attempt is counted against. */
export interface AttemptSubjects {
  /** The account name tried (any name, existing or not: the answer must not tell). */
  readonly account?: string;
  /** The client address; undefined when unknown. */
  readonly address?: string;
}

/** The key of an address: IPv6 clients are grouped by /64, as one host usually owns one. */
export function addressKey(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) return v4[1];
  if (!a.includes(":")) return a;
  const [head, tail = ""] = a.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = a.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}

/** How an attempt ended. */
export type AttemptOutcome = "success" | "failure" | "abandoned";

/** Tracks failed logins and says when an attempt must wait. */
export class LoginThrottle {
  readonly #now: () => number;
  readonly #pending = new Map<string, number>();
  readonly #free: { account: number; address: number };
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(private readonly repo: UsersRepo, options: LoginThrottleOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#free = {
      account: options.freePerAccount ?? FREE_FAILURES_PER_ACCOUNT,
      address: options.freePerAddress ?? FREE_FAILURES_PER_ADDRESS,
    };
    this.#baseMs = options.baseMs ?? LOCKOUT_BASE_MS;
    this.#maxMs = options.maxMs ?? LOCKOUT_MAX_MS;
  }

  /** The lockout window after `failures` failures with `free` free ones (ms). */
  lockoutMs(failures: number, free: number): number {
    if (failures < free) return 0;
    return Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(30, failures - free));
  }

  #subjects(s: AttemptSubjects): { key: string; free: number }[] {
    const out: { key: string; free: number }[] = [];
    if (s.account !== undefined) {
      out.push({
        key: `account:${s.account.normalize("NFC").toLowerCase()}`,
        free: this.#free.account,
      });
    }
    if (s.address !== undefined) {
      out.push({ key: `address:${addressKey(s.address)}`, free: this.#free.address });
    }
    return out;
  }

  /** Seconds until an attempt for these subjects is allowed (0: now). */
  waitSeconds(s: AttemptSubjects): number {
    const now = this.#now();
    let waitMs = 0;
    for (const { key, free } of this.#subjects(s)) {
      const row = this.repo.failure(key);
      const stored = row && now - row.lastFailureAt < FAILURE_MEMORY_MS ? row.failures : 0;
      const pending = this.#pending.get(key) ?? 0;
      const failures = stored + pending;
      if (failures < free) continue;
      // Attempts still in flight hold the door shut until they finish.
      const since = pending > 0 ? now : row?.lastFailureAt ?? now;
      waitMs = Math.max(waitMs, since + this.lockoutMs(failures, free) - now);
    }
    return waitMs <= 0 ? 0 : Math.ceil(waitMs / 1000);
  }

  /**
   * Starts an attempt: throws 429 when its subjects are locked out, else
   * counts it as pending and returns a function that ends it. "success"
   * forgives the account's failures; "failure" counts one against every
   * subject; "abandoned" (the attempt never got to check a password) does
   * neither. Only the first call counts.
   */
  begin(s: AttemptSubjects): (outcome: AttemptOutcome) => void {
    const wait = this.waitSeconds(s);
    if (wait > 0) {
      throw new CanopyError(
        "rate_limited",
        `Too many failed attempts; try again in ${wait} second${wait === 1 ? "" : "s"}`,
        { retryAfter: wait },
      );
    }
    const subjects = this.#subjects(s);
    for (const { key } of subjects) this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      for (const { key } of subjects) {
        const n = (this.#pending.get(key) ?? 1) - 1;
        if (n <= 0) this.#pending.delete(key);
        else this.#pending.set(key, n);
      }
      const now = this.#now();
      if (outcome === "abandoned") return;
      if (outcome === "success") {
        // The account is proven; the address keeps its record (it may still be guessing others).
        if (s.account !== undefined) this.repo.clearFailures(subjects[0].key);
        return;
      }
      this.repo.transaction(() => {
        for (const { key } of subjects) {
          this.repo.recordFailure(key, now, now - FAILURE_MEMORY_MS);
        }
        this.repo.pruneFailures(now - FAILURE_MEMORY_MS, MAX_FAILURE_ROWS);
      });
    };
  }
}
