/**
 * The HTTP application on `--host:--port`: the REST API under /api/v1 and the
 * web UI, with security headers on everything and Origin/Host checks on
 * state-changing API calls and the event stream.
 * @module
 */
import { Hono } from "hono";
import { API_PREFIX, createApiApp } from "../api/app.ts";
import { toErrorResponse } from "../api/errors.ts";
import type { ApiDeps } from "../api/ports.ts";
import type { Logger } from "../util/log.ts";
import { originCheck } from "./origin_check.ts";
import { securityHeaders } from "./security_headers.ts";
import { serveStatic } from "./static.ts";

/** Options of `createHttpApp`. */
export interface WebOptions {
  /** Names this node is reached by, for the Host check (see origin_check.ts). */
  readonly hostNames?: readonly string[];
}

/** Builds the whole HTTP app (no server: see src/node for that). */
export function createHttpApp(deps: ApiDeps, log: Logger, web: WebOptions = {}): Hono {
  const app = new Hono();
  app.use("*", securityHeaders());
  app.use(`${API_PREFIX}/*`, originCheck({ hostNames: web.hostNames }));
  app.route(API_PREFIX, createApiApp(deps, log));
  serveStatic(app);
  app.onError((err, c) => toErrorResponse(c, err, log));
  return app;
}
