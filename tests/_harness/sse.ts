/**
 * A Server-Sent Events reader for tests: collects events from `/events` and
 * lets a test wait for one. `close()` must be called (sanitizers).
 * @module
 */

import { type SseEvent, sseEventsOf } from "./lines.ts";

export type { SseEvent };

/** An open event stream. */
export interface EventStream {
  readonly events: SseEvent[];
  /** Waits for the first event (already received or future) matching `pred`. */
  waitFor(
    type: string,
    pred?: (data: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<SseEvent>;
  close(): Promise<void>;
}

/** Opens `/events` with an API key. */
export async function openEvents(apiUrl: string, key: string): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(`${apiUrl}/events`, {
    headers: { "X-API-Key": key },
    signal: abort.signal,
  });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new Error(`events: HTTP ${res.status}`);
  }
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const body = res.body;
  const pump = (async () => {
    try {
      for await (const event of sseEventsOf(body, abort.signal)) {
        events.push(event);
        for (const w of [...waiters]) w();
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    waitFor(type, pred = () => true, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find((e) => e.type === type && pred(e.data));
          if (hit) {
            cleanup();
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no "${type}" event within ${timeoutMs} ms; got ${
                events.map((e) => e.type).join(", ")
              }`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
}
