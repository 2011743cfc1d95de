/**
 * Serves the embedded UI files. Unknown non-API paths get index.html so the
 * single-page UI can route on the client.
 * @module
 */
import type { Hono } from "hono";
import { sha256 } from "../crypto/mod.ts";
import { toHex, utf8 } from "../util/bytes.ts";
import { STATIC_ASSETS, type StaticAsset } from "./static_assets.ts";

function etagOf(asset: StaticAsset): string {
  const bytes = typeof asset.body === "string" ? utf8(asset.body) : asset.body;
  return `"${toHex(sha256(bytes)).slice(0, 16)}"`;
}

/** Registers GET routes for the UI on `app`. */
export function serveStatic(app: Hono, assets = STATIC_ASSETS): void {
  const etags = new Map([...assets].map(([path, a]) => [path, etagOf(a)]));
  app.get("*", (c) => {
    let path = c.req.path === "/" ? "/index.html" : c.req.path;
    if (!assets.has(path)) {
      // Client-side routes (/connect, /messages…) load the app shell; files 404.
      if (/\.[a-z0-9]+$/i.test(path)) return c.text("Not found", 404);
      path = "/index.html";
    }
    const asset = assets.get(path)!;
    const etag = etags.get(path)!;
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("Content-Type", asset.contentType);
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    return c.body(typeof asset.body === "string" ? asset.body : asset.body.slice().buffer);
  });
}
