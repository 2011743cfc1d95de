/**
 * `/auth/*`: the web UI's accounts and sessions (SPEC §9).
 *
 * - `GET /auth/status` — needs_setup, setup_token_required, logged_in,
 *   username, csrf_token…: what the UI needs to pick a page.
 * - `POST /auth/setup` — the first account (`setup_token` needed from a
 *   non-loopback address); logs it in.
 * - `POST /auth/login`, `POST /auth/logout`.
 * - `POST /auth/password` — a logged-in session changes its password; every
 *   other session of the account ends.
 *
 * Logging in sets the `canopy_session` cookie and returns the session's
 * CSRF token, which state-changing calls send back in `X-CSRF-Token`.
 * @module
 */
import { type Context, Hono } from "hono";
import { CanopyError } from "../../util/errors.ts";
import type { ApiEnv } from "../env.ts";
import type { AccountsPort, ApiDeps, SessionGrant } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { readJsonObject } from "../body.ts";
import {
  checkCsrf,
  clearSessionCookie,
  clientOf,
  sessionTokenOf,
  setSessionCookie,
} from "../session_cookie.ts";

/** Largest body of an auth call (bytes). */
export const MAX_AUTH_BODY_BYTES = 16 * 1024;

function grantResponse(c: Context, grant: SessionGrant, status: 200 | 201): Response {
  const now = Date.now();
  setSessionCookie(c, grant.token, grant.expiresAt, now);
  return c.json({
    logged_in: true,
    username: grant.username,
    csrf_token: grant.csrfToken,
    expires_at: new Date(grant.expiresAt).toISOString(),
  }, status);
}

/** Account and session routes. */
export function authRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const accounts = (): AccountsPort => {
    if (!deps.accounts) {
      throw new CanopyError("unavailable", "This node has no web accounts");
    }
    return deps.accounts;
  };
  const body = (c: Context) => readJsonObject(c, { limit: MAX_AUTH_BODY_BYTES });

  app.get("/status", (c) => c.json(accounts().status(sessionTokenOf(c), clientOf(c))));

  app.post("/setup", async (c) => {
    const input = await body(c);
    const grant = await accounts().setup({
      username: input.username,
      password: input.password,
      setupToken: input.setup_token,
    }, clientOf(c));
    return grantResponse(c, grant, 201);
  });

  app.post("/login", async (c) => {
    const input = await body(c);
    const grant = await accounts().login(
      { username: input.username, password: input.password },
      clientOf(c),
    );
    // A new login replaces the session this browser had, if any.
    accounts().logout(sessionTokenOf(c));
    return grantResponse(c, grant, 200);
  });

  app.post("/logout", async (c) => {
    await readJsonObject(c, { allowEmpty: true, limit: MAX_AUTH_BODY_BYTES });
    const token = sessionTokenOf(c);
    let live;
    try {
      live = token !== undefined && deps.auth.fromSession
        ? deps.auth.fromSession(token)
        : undefined;
    } catch {
      live = undefined; // already ended: logging out again is fine
    }
    if (live) checkCsrf(live, c.req.raw.headers);
    const ended = accounts().logout(token);
    clearSessionCookie(c);
    return c.json({ logged_out: true, session_ended: ended });
  });

  app.post("/password", requirePermission(deps.auth), async (c) => {
    const principal = c.get("principal")!;
    const token = sessionTokenOf(c);
    if (principal.kind !== "session" || token === undefined) {
      throw new CanopyError(
        "forbidden",
        "Changing the password needs a logged-in web session, not an API key",
      );
    }
    const input = await body(c);
    const result = await accounts().changePassword(token, {
      old_password: input.old_password,
      new_password: input.new_password,
    }, clientOf(c));
    return c.json({ changed: true, ...result });
  });
  return app;
}
