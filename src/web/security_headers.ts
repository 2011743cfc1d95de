/**
 * Security headers on every response (SPEC §11): a strict CSP with no
 * inline script, no framing, no sniffing, no referrer. Defaults are data,
 * merged once when the middleware is created.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The Content-Security-Policy of every page and API response. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers set on every response unless a handler set them already. */
export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
});

/** Middleware adding the headers. */
export function securityHeaders(
  overrides: Readonly<Record<string, string>> = {},
): MiddlewareHandler {
  const headers = Object.entries({ ...DEFAULT_SECURITY_HEADERS, ...overrides });
  return async (c, next) => {
    await next();
    for (const [name, value] of headers) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
}
