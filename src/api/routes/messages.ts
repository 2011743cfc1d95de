/**
 * `GET /messages` (SPEC §8): direct and broadcast messages, newest first.
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { optInt } from "../validate.ts";
import { invalidField } from "../../util/errors.ts";
import { isPeerId } from "../../identity/peer_id.ts";

/** Default and largest page size. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** Parses an ISO date or epoch milliseconds. */
export function timeParam(query: Record<string, string>, field: string): number | undefined {
  const raw = query[field];
  if (raw === undefined || raw === "") return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw invalidField(field, `${field} must be an ISO 8601 date or milliseconds since the epoch`);
  }
  return ms;
}

/** Message routes. */
export function messageRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", requirePermission(deps.auth, "READ_MESSAGES"), (c) => {
    const q = c.req.query();
    if (q.peer_id !== undefined && !isPeerId(q.peer_id)) {
      throw invalidField("peer_id", "peer_id must be a 16-character peer id");
    }
    if (q.channel_id !== undefined && !/^[\w-]{1,64}$/.test(q.channel_id)) {
      throw invalidField("channel_id", "channel_id must be 1-64 letters, digits, _ or -");
    }
    if (q.type !== undefined && q.type !== "direct" && q.type !== "broadcast") {
      throw invalidField("type", "type must be direct or broadcast");
    }
    const { messages, nextCursor } = deps.messages.list({
      peerId: q.peer_id,
      channelId: q.channel_id,
      type: q.type as "direct" | "broadcast" | undefined,
      sinceMs: timeParam(q, "since"),
      beforeMs: timeParam(q, "before"),
      cursor: optInt(q, "cursor", 1, Number.MAX_SAFE_INTEGER),
      limit: optInt(q, "limit", 1, MAX_LIMIT) ?? DEFAULT_LIMIT,
    });
    return c.json({ messages, count: messages.length, next_cursor: nextCursor });
  });
  return app;
}
