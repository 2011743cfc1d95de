/**
 * `GET /events`: Server-Sent Events (SPEC §8) — messages, delivery states,
 * peers connecting, disconnecting or asking to connect. A comment line every
 * 15 s keeps proxies from closing the stream (and re-checks the caller's
 * credentials); a listener is removed as soon as its client goes away.
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission, stillAuthenticated } from "../auth.ts";

/** Interval of keep-alive comments (ms). */
export const SSE_HEARTBEAT_MS = 15_000;
/** Events buffered for a slow client before it is disconnected. */
export const SSE_MAX_BUFFERED = 1000;

/** Event stream routes. */
export function eventRoutes(deps: ApiDeps, heartbeatMs = SSE_HEARTBEAT_MS): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", requirePermission(deps.auth, "READ_MESSAGES"), (c) => {
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let id = 0;
        const send = (text: string) => {
          if ((controller.desiredSize ?? 0) < -SSE_MAX_BUFFERED) {
            cleanup();
            controller.error(new Error("client too slow"));
            return;
          }
          controller.enqueue(encoder.encode(text));
        };
        send(`retry: 2000\n: connected\n\n`);
        const unsubscribe = deps.events.subscribe((event) => {
          send(`id: ${++id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
        });
        const end = () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        const timer = setInterval(() => {
          // Credentials are checked again at each beat: a revoked key or an
          // ended session (logout, password change, expiry) stops its stream.
          if (!stillAuthenticated(deps.auth, c)) return end();
          send(`: keep-alive\n\n`);
        }, heartbeatMs);
        // The node shutting down ends every stream (the server waits for open responses).
        deps.shutdown?.addEventListener("abort", end, { once: true });
        if (deps.shutdown?.aborted) queueMicrotask(end);
        cleanup = () => {
          clearInterval(timer);
          unsubscribe();
          deps.shutdown?.removeEventListener("abort", end);
        };
      },
      cancel() {
        cleanup();
      },
    }, { highWaterMark: 0 });
    c.req.raw.signal.addEventListener("abort", () => cleanup(), { once: true });
    return new Response(stream, {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
      },
    });
  });
  return app;
}
