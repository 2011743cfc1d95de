/**
 * The `/p2p/*` routes of the seed guide (SPEC §8).
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { optHost, optInt } from "../validate.ts";

/** Peer-to-peer routes. */
export function p2pRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/status", (c) => c.json(deps.node.status()));
  app.get("/invite", requirePermission(deps.auth), (c) => {
    const query = c.req.query();
    const publicHost = optHost(query, "public_host");
    const publicPort = optInt(query, "public_port", 1, 65535);
    return c.json(deps.node.invite({ publicHost, publicPort }));
  });
  return app;
}
