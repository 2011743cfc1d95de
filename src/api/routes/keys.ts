/**
 * `/keys`: API key management (SPEC §9). Needs MANAGE_KEYS.
 * @module
 */
import { Hono } from "hono";
import { DEFAULT_KEY_PERMISSIONS, parsePermissions, type Permission } from "../../config/config.ts";
import { ConfigError } from "../../config/config.ts";
import { invalidField } from "../../util/errors.ts";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { readJsonObject } from "../body.ts";
import { optInt, str } from "../validate.ts";

function permissionsOf(value: unknown): Permission[] {
  if (value === undefined || value === null) return [...DEFAULT_KEY_PERMISSIONS];
  const text = Array.isArray(value) && value.every((v) => typeof v === "string")
    ? value.join(",")
    : typeof value === "string"
    ? value
    : undefined;
  if (text === undefined) {
    throw invalidField(
      "permissions",
      'permissions must be a list such as ["READ_MESSAGES"] or "all"',
    );
  }
  try {
    return parsePermissions(text, "permissions");
  } catch (e) {
    throw invalidField("permissions", (e as ConfigError).message);
  }
}

/** Key management routes. */
export function keyRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use("*", requirePermission(deps.auth, "MANAGE_KEYS"));
  app.get("/", (c) => c.json({ keys: deps.keys.list() }));
  app.post("/", async (c) => {
    const body = await readJsonObject(c);
    const created = deps.keys.create({
      name: str(body, "name", { max: 100 }),
      permissions: permissionsOf(body.permissions),
      expiresDays: optInt(body, "expires_days", 1, 36500),
    });
    return c.json(created, 201);
  });
  app.delete("/:id", (c) => c.json(deps.keys.revoke(c.req.param("id"))));
  return app;
}
