/**
 * The OpenAPI entries of the `/auth/*` routes (src/api/routes/auth.ts),
 * kept beside the rest in `OPERATIONS` (src/api/openapi.ts).
 * @module
 */
import type { Operation } from "./openapi.ts";

const str = { type: "string" };
const bool = { type: "boolean" };
const nullableStr = { type: ["string", "null"] };

const loggedIn = {
  type: "object",
  properties: { logged_in: bool, username: str, csrf_token: str, expires_at: str },
  required: ["logged_in", "username", "csrf_token", "expires_at"],
  description: "Also sets the canopy_session cookie (HttpOnly, SameSite=Strict, Path=/). " +
    "Send csrf_token back in X-CSRF-Token on every state-changing call made with the cookie.",
};

/** Every `/auth` operation. */
export const AUTH_OPERATIONS: readonly Operation[] = [
  {
    method: "get",
    path: "/auth/status",
    summary: "Whether the node needs setup, whether the setup token is needed from this " +
      "address, and who is logged in (with the session's CSRF token)",
    auth: "none",
    response: {
      type: "object",
      properties: {
        needs_setup: bool,
        setup_token_required: bool,
        logged_in: bool,
        username: nullableStr,
        csrf_token: nullableStr,
        expires_at: nullableStr,
        idle_timeout_seconds: { type: "integer" },
        min_password_length: { type: "integer" },
      },
      required: ["needs_setup", "setup_token_required", "logged_in", "username", "csrf_token"],
    },
  },
  {
    method: "post",
    path: "/auth/setup",
    summary: "Create the first account and log in. From a non-loopback address setup_token " +
      "(printed at startup) is required; 409 once an account exists",
    auth: "none",
    body: {
      type: "object",
      properties: {
        username: str,
        password: { type: "string", minLength: 10 },
        setup_token: str,
      },
      required: ["username", "password"],
    },
    status: 201,
    response: loggedIn,
  },
  {
    method: "post",
    path: "/auth/login",
    summary: "Log in; repeated failures per account and per address answer 429 with Retry-After",
    auth: "none",
    body: {
      type: "object",
      properties: { username: str, password: str },
      required: ["username", "password"],
    },
    response: loggedIn,
  },
  {
    method: "post",
    path: "/auth/logout",
    summary: "End this browser's session and clear its cookie (X-CSRF-Token required while " +
      "the session is live)",
    auth: "none",
    response: {
      type: "object",
      properties: { logged_out: bool, session_ended: bool },
      required: ["logged_out", "session_ended"],
    },
  },
  {
    method: "post",
    path: "/auth/password",
    summary: "Change the password of the logged-in account (a web session, not an API key); " +
      "the current password is required and every other session ends",
    auth: "any",
    body: {
      type: "object",
      properties: { old_password: str, new_password: { type: "string", minLength: 10 } },
      required: ["old_password", "new_password"],
    },
    response: {
      type: "object",
      properties: { changed: bool, sessions_revoked: { type: "integer" } },
      required: ["changed", "sessions_revoked"],
    },
  },
];
