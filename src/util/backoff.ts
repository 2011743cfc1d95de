/**
 * Exponential backoff with jitter (SPEC §6 reconnect: 2 s → 4 s → … → 60 s).
 * @module
 */

/** Backoff schedule; tests inject `jitter: 0` and short delays. */
export interface BackoffOptions {
  /** First delay (ms). Default 2000. */
  readonly baseMs?: number;
  /** Largest delay (ms). Default 60000. */
  readonly maxMs?: number;
  /** Fraction of the delay added or removed at random (0–1). Default 0.2. */
  readonly jitter?: number;
  readonly random?: () => number;
}

/** Defaults of `BackoffOptions`. */
export const BACKOFF_DEFAULTS = Object.freeze({ baseMs: 2000, maxMs: 60_000, jitter: 0.2 });

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs, maxMs, jitter } = { ...BACKOFF_DEFAULTS, ...options };
  const random = options.random ?? Math.random;
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const spread = raw * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, raw + spread)));
}
