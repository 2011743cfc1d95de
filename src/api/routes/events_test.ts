import assert from "node:assert/strict";
import { Hono } from "hono";
import { eventRoutes } from "./events.ts";
import type { ApiDeps, ApiEvent, Principal } from "../ports.ts";
import { CanopyError } from "../../util/errors.ts";
import { PERMISSIONS } from "../../config/config.ts";

function setup() {
  const shutdown = new AbortController();
  const listeners = new Set<(e: ApiEvent) => void>();
  let keyValid = true;
  const deps = {
    auth: {
      fromApiKey(): Principal {
        if (!keyValid) throw new CanopyError("unauthorized", "The API key has been revoked");
        return { kind: "api_key", name: "k", permissions: new Set(PERMISSIONS) };
      },
    },
    events: {
      subscribe(fn: (e: ApiEvent) => void) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
    shutdown: shutdown.signal,
  } as unknown as ApiDeps;
  const app = new Hono().route("/events", eventRoutes(deps, 20));
  return { app, shutdown, listeners, revoke: () => (keyValid = false) };
}

async function readAll(res: Response): Promise<string> {
  return await res.text(); // resolves only once the server ends the stream
}

Deno.test("event streams end when the node shuts down, so the server can stop", async () => {
  const t = setup();
  const res = await t.app.request("/events", { headers: { "X-API-Key": "k" } });
  assert.equal(res.status, 200);
  const body = readAll(res);
  for (const fn of t.listeners) fn({ type: "message", data: { n: 1 } });
  t.shutdown.abort();
  const text = await body;
  assert.match(text, /event: message\ndata: \{"n":1\}/);
  assert.equal(t.listeners.size, 0, "the listener is gone");
});

Deno.test("an event stream ends at the next beat once its key is revoked", async () => {
  const t = setup();
  const res = await t.app.request("/events", { headers: { "X-API-Key": "k" } });
  const body = readAll(res);
  t.revoke();
  await body;
  assert.equal(t.listeners.size, 0);
});
