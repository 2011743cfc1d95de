/**
 * The web session on the wire (SPEC §9): the `canopy_session` cookie
 * (HttpOnly, SameSite=Strict, Path=/), the `X-CSRF-Token` header every
 * state-changing call made with the cookie must carry, and the client
 * address the connection came from.
 * @module
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { CanopyError } from "../util/errors.ts";
import { equalBytes, utf8 } from "../util/bytes.ts";
import { sha256 } from "../crypto/mod.ts";
import type { ClientInfo, Principal } from "./ports.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "canopy_session";
/** Header carrying the session's CSRF token. */
export const CSRF_HEADER = "X-CSRF-Token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for methods that may change state (everything but GET, HEAD, OPTIONS). */
export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The session token the request's cookie carries, if any. */
export function sessionTokenOf(c: Context): string | undefined {
  const token = getCookie(c, SESSION_COOKIE);
  return token === undefined || token === "" ? undefined : token;
}

function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Sets the session cookie, to live until `expiresAt` (ms since the epoch). */
export function setSessionCookie(c: Context, token: string, expiresAt: number, now: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: secure(c),
    maxAge: Math.max(1, Math.round((expiresAt - now) / 1000)),
  });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(c: Context): void {
  setCookie(c, SESSION_COOKIE, "", {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: secure(c),
    maxAge: 0,
  });
}

/** Throws 403 unless the request carries the session's CSRF token. */
export function checkCsrf(principal: Principal, headers: Headers): void {
  const presented = headers.get(CSRF_HEADER);
  const expected = principal.csrfToken;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const ok = presented !== null && expected !== undefined &&
    equalBytes(sha256(utf8(presented.trim())), sha256(utf8(expected)));
  if (!ok) {
    throw new CanopyError(
      "forbidden",
      presented === null
        ? `This request needs the ${CSRF_HEADER} header of your session; reload the page`
        : `The ${CSRF_HEADER} header does not match your session; reload the page`,
    );
  }
}

/** True for an address of the loopback interface (127.0.0.0/8, ::1, and their IPv4-mapped forms). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  return a === "::1" || /^127\.\d+\.\d+\.\d+$/.test(a) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}

/**
 * Where the request came from. `Deno.serve` hands Hono its connection info
 * as the environment (`app.fetch(request, info)`); a request without one
 * (a test, another adapter) counts as remote, the safe side.
 */
export function clientOf(c: Context): ClientInfo {
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  const hostname = env?.remoteAddr?.hostname;
  const address = typeof hostname === "string" && hostname !== "" ? hostname : undefined;
  return { address, loopback: address !== undefined && isLoopbackAddress(address) };
}
