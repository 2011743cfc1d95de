/**
 * `/health`, `/info` and `/openapi.json`.
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { optionalAuth } from "../auth.ts";
import { openApiDocument } from "../openapi.ts";

/** System routes. */
export function systemRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/health", (c) => c.json({ status: "ok", version: deps.node.version }));
  app.get("/info", optionalAuth(deps.auth), (c) => {
    if (!c.get("principal")) return c.json({ name: "canopy", version: deps.node.version });
    return c.json({ name: "canopy", version: deps.node.version, ...deps.node.diagnostics() });
  });
  app.get("/openapi.json", (c) => c.json(openApiDocument(deps.node.version)));
  return app;
}
