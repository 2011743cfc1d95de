/**
 * Test support: follows a node's `/api/v1/events` stream from inside a
 * network namespace and prints each event as one JSON line
 * (`{"type","data"}`), until killed or `timeoutMs` passes. Use `netnsEvents`
 * from the test side.
 * @module
 */
import { denoInNetns, linesOf, type SseEvent, sseEventsOf } from "../_harness/lines.ts";

/** What the follower is asked to do. */
export interface NetnsEventsRequest {
  readonly url: string;
  readonly key: string;
  readonly timeoutMs: number;
}

/** One event from the stream. */
export type StreamedEvent = SseEvent;

/** A running follower. */
export interface NetnsEvents {
  readonly events: StreamedEvent[];
  /** Waits (bounded) until an event satisfies `pred`. */
  waitFor(
    what: string,
    pred: (e: StreamedEvent) => boolean,
    timeoutMs?: number,
  ): Promise<StreamedEvent>;
  close(): Promise<void>;
}

const SCRIPT = new URL(import.meta.url).pathname;

/** Starts following the events of the node at `apiUrl` inside namespace `ns`. */
export async function netnsEvents(ns: string, request: NetnsEventsRequest): Promise<NetnsEvents> {
  const child = denoInNetns(ns, SCRIPT, [JSON.stringify(request)], "null");
  const events: StreamedEvent[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const pump = (async () => {
    for await (const line of linesOf(child.stdout)) {
      if (line === "connected") connected();
      else if (line.startsWith("{")) events.push(JSON.parse(line));
    }
    connected();
  })();
  const status = child.status;
  await Promise.race([ready, status]);
  return {
    events,
    async waitFor(what, pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = events.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `no ${what} event within ${timeoutMs} ms; got ${events.map((e) => e.type).join(", ")}`,
      );
    },
    async close() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await status;
      await pump;
    },
  };
}

if (import.meta.main) {
  const req = JSON.parse(Deno.args[0]) as NetnsEventsRequest;
  setTimeout(() => Deno.exit(0), req.timeoutMs);
  try {
    const res = await fetch(`${req.url}/events`, { headers: { "X-API-Key": req.key } });
    if (res.status !== 200 || !res.body) {
      console.log(JSON.stringify({ type: "error", data: { status: res.status } }));
      Deno.exit(1);
    }
    console.log("connected");
    for await (const event of sseEventsOf(res.body)) console.log(JSON.stringify(event));
  } catch (e) {
    console.log(JSON.stringify({ type: "error", data: { error: String(e) } }));
  }
}
