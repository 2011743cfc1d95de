/**
 * The `/api/v1` application: routes joined, errors mapped in one place,
 * unknown routes and wrong methods answered in JSON. Tests call
 * `app.request()` on it directly: no server, no port.
 * @module
 */
import { Hono } from "hono";
import { CanopyError } from "../util/errors.ts";
import type { Logger } from "../util/log.ts";
import type { ApiEnv } from "./env.ts";
import { errorResponse, toErrorResponse } from "./errors.ts";
import type { ApiDeps } from "./ports.ts";
import { authRoutes } from "./routes/auth.ts";
import { channelRoutes } from "./routes/channels.ts";
import { eventRoutes } from "./routes/events.ts";
import { profileRoutes } from "./routes/profiles.ts";
import { keyRoutes } from "./routes/keys.ts";
import { messageRoutes } from "./routes/messages.ts";
import { p2pRoutes } from "./routes/p2p.ts";
import { systemRoutes } from "./routes/system.ts";

/** The prefix every API route lives under. */
export const API_PREFIX = "/api/v1";

function patternOf(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\/:\w+/g, "/[^/]+")
    .replace(/\*/g, ".*");
  return new RegExp(`^${escaped}/?$`);
}

/** Builds the API app, to be mounted at `API_PREFIX`. */
export function createApiApp(deps: ApiDeps, log: Logger): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use("*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  app.route("/", systemRoutes(deps));
  app.route("/p2p", p2pRoutes(deps));
  app.route("/keys", keyRoutes(deps));
  app.route("/messages", messageRoutes(deps));
  app.route("/events", eventRoutes(deps));
  app.route("/auth", authRoutes(deps));
  app.route("/channels", channelRoutes(deps));
  app.route("/", profileRoutes(deps));

  const routes = app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, pattern: patternOf(r.path) }));
  // Last route: anything unmatched under /api/v1 is answered here in JSON
  // (not by the UI's catch-all, and not with Hono's plain-text 404).
  app.all("*", (c) => {
    const full = c.req.path;
    const path = (full.startsWith(API_PREFIX) ? full.slice(API_PREFIX.length) : full) || "/";
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return errorResponse(
        c,
        new CanopyError(
          "method_not_allowed",
          `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`,
        ),
      );
    }
    return errorResponse(
      c,
      new CanopyError("not_found", `No API route ${c.req.method} ${c.req.path}`),
    );
  });
  app.onError((err, c) => toErrorResponse(c, err, log));
  return app;
}
