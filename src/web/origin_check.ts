/**
 * Origin and Host checks (SPEC §9) on every state-changing API call and on
 * the event stream:
 *
 * - **Origin.** A browser names the page that made a request. A request
 *   whose `Origin` is another site (or "null"), or — when a browser sends
 *   no Origin — whose `Sec-Fetch-Site` is not same-origin, is refused: a
 *   page elsewhere cannot act through this node with the user's cookie.
 * - **Host.** DNS rebinding points an attacker's name at 127.0.0.1, making
 *   the attacker's page same-origin with a name it controls. So the Host of
 *   a request must be an IP literal, a loopback name (`localhost`,
 *   `*.localhost`), or one of this node's own names (its `--host`, the
 *   machine's host name, `<hostname>.local`). Requests with an API key skip
 *   this one check: a rebinding page has no key, and scripts may use any
 *   name for the machine.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { presentedKey } from "../api/auth.ts";
import { isStateChanging } from "../api/session_cookie.ts";
import { CanopyError } from "../util/errors.ts";
import { isIPv4, isIPv6 } from "../util/host.ts";

/** Options of `originCheck`. */
export interface OriginCheckOptions {
  /** Names (besides IP literals and loopback names) this node is reached by. Default none. */
  readonly hostNames?: readonly string[];
  /** Safe-method paths checked too (default: the event stream). */
  readonly streamPaths?: readonly string[];
}

/** Paths of GET requests that are checked like state-changing ones. */
export const DEFAULT_STREAM_PATHS: readonly string[] = ["/api/v1/events"];

const normalize = (name: string) => name.toLowerCase().replace(/\.$/, "").replace(/^\[|\]$/g, "");

/** True when `hostname` (no port) is one this node answers to. */
export function isAllowedHost(hostname: string, ownNames: ReadonlySet<string>): boolean {
  const h = normalize(hostname);
  if (h === "") return false;
  if (isIPv4(h) || isIPv6(h)) return true;
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  return ownNames.has(h);
}

/** Middleware refusing cross-site and rebinding requests with 403. */
export function originCheck(options: OriginCheckOptions = {}): MiddlewareHandler {
  const own = new Set((options.hostNames ?? []).filter((n) => n !== "").map(normalize));
  const streams = new Set(options.streamPaths ?? DEFAULT_STREAM_PATHS);
  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path.replace(/\/$/, "");
    if (!isStateChanging(method) && !streams.has(path)) return await next();
    const url = new URL(c.req.url);
    const headers = c.req.raw.headers;
    if (presentedKey(headers) === undefined && !isAllowedHost(url.hostname, own)) {
      throw new CanopyError(
        "forbidden",
        `Host "${url.hostname}" is not a name of this node; use its IP address or localhost`,
      );
    }
    const origin = headers.get("origin");
    if (origin !== null) {
      let originHost: string | undefined;
      try {
        originHost = origin === "null" ? undefined : new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (originHost !== url.host) {
        throw new CanopyError(
          "forbidden",
          `Cross-site request refused: Origin ${origin} is not this node (${url.host})`,
        );
      }
    } else {
      const site = headers.get("sec-fetch-site");
      if (site !== null && site !== "same-origin" && site !== "none") {
        throw new CanopyError("forbidden", `Cross-site request refused (Sec-Fetch-Site: ${site})`);
      }
    }
    await next();
  };
}
