/**
 * `/profile` and `/device/profile` (SPEC §6): this node's user and device
 * profiles. Reading needs any credential; changing needs MANAGE_PEERS.
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { readJsonObject } from "../body.ts";

/** Profile routes (mounted at the API root). */
export function profileRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const any = requirePermission(deps.auth);
  const manage = requirePermission(deps.auth, "MANAGE_PEERS");
  app.get("/profile", any, (c) => c.json(deps.profiles.user()));
  app.post(
    "/profile",
    manage,
    async (c) => c.json(await deps.profiles.updateUser(await readJsonObject(c))),
  );
  app.get("/device/profile", any, (c) => c.json(deps.profiles.device()));
  app.post(
    "/device/profile",
    manage,
    async (c) => c.json(await deps.profiles.updateDevice(await readJsonObject(c))),
  );
  return app;
}
