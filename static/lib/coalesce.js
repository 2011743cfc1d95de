/**
 * Reloads that never overlap: a call made while one runs returns the running
 * one and asks for exactly one more run after it, however many calls came.
 * @module
 */

/**
 * @param {() => Promise<void>} run a reload that handles its own errors
 * @returns {() => Promise<void>}
 */
export function coalesced(run) {
  let inflight = /** @type {Promise<void> | null} */ (null);
  let again = false;
  return () => {
    if (inflight) {
      again = true;
      return inflight;
    }
    inflight = (async () => {
      try {
        do {
          again = false;
          await run();
        } while (again);
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  };
}
