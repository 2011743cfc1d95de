/**
 * `/channels` and `/channels/:id/messages` (SPEC §8).
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { readJsonObject } from "../body.ts";
import { optInt, optStr, str } from "../validate.ts";
import { DEFAULT_LIMIT, MAX_LIMIT, timeParam } from "./messages.ts";

/** Channel routes. */
export function channelRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const read = requirePermission(deps.auth, "READ_MESSAGES");
  const write = requirePermission(deps.auth, "WRITE_MESSAGES");
  app.get("/", read, (c) => c.json({ channels: deps.channels.list() }));
  app.post("/", write, async (c) => {
    const body = await readJsonObject(c);
    const channel = await deps.channels.create(
      str(body, "name", { max: 64 }),
      optStr(body, "description", { min: 0, max: 500 }) ?? "",
    );
    return c.json(channel, 201);
  });
  app.get("/:id/messages", read, (c) => {
    const q = c.req.query();
    const { messages, nextCursor } = deps.channels.posts(c.req.param("id"), {
      sinceMs: timeParam(q, "since"),
      beforeMs: timeParam(q, "before"),
      cursor: optInt(q, "cursor", 1, Number.MAX_SAFE_INTEGER),
      limit: optInt(q, "limit", 1, MAX_LIMIT) ?? DEFAULT_LIMIT,
    });
    return c.json({ messages, count: messages.length, next_cursor: nextCursor });
  });
  app.post("/:id/messages", write, async (c) => {
    const body = await readJsonObject(c);
    return c.json(
      await deps.channels.post(
        c.req.param("id"),
        str(body, "content", { max: 65_536, trim: false }),
      ),
      201,
    );
  });
  return app;
}
