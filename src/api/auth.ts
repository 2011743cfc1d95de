/**
 * Authentication and permission checks (SPEC §8, §9): `X-API-Key: <key>` or
 * `Authorization: Bearer <key>`, or the web session cookie — which holds
 * every permission, and on state-changing calls must come with the
 * session's `X-CSRF-Token`. A key wins when both are present. Routes
 * declare what they need with `requirePermission`; `optionalAuth` lets
 * `/info` show more to a key holder or a logged-in user.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Permission } from "../config/config.ts";
import { CanopyError } from "../util/errors.ts";
import type { ApiEnv } from "./env.ts";
import type { Authenticator, Principal } from "./ports.ts";
import { checkCsrf, isStateChanging, sessionTokenOf } from "./session_cookie.ts";

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

/**
 * The principal of a request, or undefined without credentials. Throws 401
 * for a bad key or an ended session, 403 for a session call lacking its
 * CSRF token (unless `csrf` is false).
 */
export function authenticate(
  auth: Authenticator,
  c: Context,
  { csrf = true }: { csrf?: boolean } = {},
): Principal | undefined {
  const headers = c.req.raw.headers;
  const key = presentedKey(headers);
  if (key !== undefined) return auth.fromApiKey(key);
  const token = auth.fromSession ? sessionTokenOf(c) : undefined;
  if (token === undefined) return undefined;
  const principal = auth.fromSession!(token);
  if (csrf && isStateChanging(c.req.method)) checkCsrf(principal, headers);
  return principal;
}

/** Requires credentials holding every permission in `needed` (none: any valid credential). */
export function requirePermission(
  auth: Authenticator,
  ...needed: Permission[]
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = authenticate(auth, c);
    if (!principal) {
      throw new CanopyError(
        "unauthorized",
        "This endpoint needs an API key (send it in the X-API-Key header) or a logged-in session",
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

/**
 * Authenticates when credentials are present; a bad key is still a 401,
 * while a stale session cookie just counts as no credentials (it should not
 * break public pages).
 */
export function optionalAuth(auth: Authenticator): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    let principal: Principal | undefined;
    if (presentedKey(c.req.raw.headers) !== undefined) {
      principal = authenticate(auth, c);
    } else {
      try {
        principal = authenticate(auth, c);
      } catch {
        principal = undefined;
      }
    }
    if (principal) c.set("principal", principal);
    await next();
  };
}

/** True while the credentials of `c` still hold (an open event stream checks this). */
export function stillAuthenticated(auth: Authenticator, c: Context): boolean {
  try {
    return authenticate(auth, c, { csrf: false }) !== undefined;
  } catch {
    return false;
  }
}
