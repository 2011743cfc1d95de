/**
 * Drop and event counters by reason, shown in `/api/v1/info` diagnostics
 * (PROTOCOL §10: every drop is counted by reason).
 * @module
 */

/** Counts occurrences by reason. */
export class Counters {
  readonly #counts = new Map<string, number>();

  /** Adds `n` to `reason`. */
  count(reason: string, n = 1): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + n);
  }

  /** The count of one reason. */
  get(reason: string): number {
    return this.#counts.get(reason) ?? 0;
  }

  /** Every reason and its count, sorted by reason. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
