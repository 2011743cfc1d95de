/**
 * Authentication and permission checks (SPEC §8): `X-API-Key: <key>` or
 * `Authorization: Bearer <key>`. Routes declare what they need with
 * `requirePermission`; `optionalAuth` lets `/info` show more to a key holder.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Permission } from "../config/config.ts";
import { CanopyError } from "../util/errors.ts";
import type { ApiEnv } from "./env.ts";
import type { Authenticator, Principal } from "./ports.ts";

/** The credential a request presents, if any. */
export function presentedKey(headers: Headers): string | undefined {
  const key = headers.get("x-api-key");
  if (key !== null && key.trim() !== "") return key.trim();
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return undefined;
}

function authenticate(auth: Authenticator, headers: Headers): Principal | undefined {
  const key = presentedKey(headers);
  return key === undefined ? undefined : auth.fromApiKey(key);
}

/** Requires credentials holding every permission in `needed` (none: any valid credential). */
export function requirePermission(
  auth: Authenticator,
  ...needed: Permission[]
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = authenticate(auth, c.req.raw.headers);
    if (!principal) {
      throw new CanopyError(
        "unauthorized",
        "This endpoint needs an API key: send it in the X-API-Key header",
      );
    }
    for (const p of needed) {
      if (!principal.permissions.has(p)) {
        throw new CanopyError("forbidden", `This API key lacks the ${p} permission`, {
          permission: p,
        });
      }
    }
    c.set("principal", principal);
    await next();
  };
}

/** Authenticates when credentials are present; a bad key is still a 401. */
export function optionalAuth(auth: Authenticator): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = authenticate(auth, c.req.raw.headers);
    if (principal) c.set("principal", principal);
    await next();
  };
}
