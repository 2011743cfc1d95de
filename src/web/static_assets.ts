/**
 * The web UI's files, imported into the module graph so that `deno compile`
 * embeds them and serving them needs no file-system permission. Every file
 * under static/ that the UI uses is listed here.
 * @module
 */
import indexHtml from "../../static/index.html" with { type: "text" };
import appCss from "../../static/app.css" with { type: "text" };

/** A file served by the web UI. */
export interface StaticAsset {
  readonly body: string | Uint8Array;
  readonly contentType: string;
}

/** URL path → asset. */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ["/index.html", { body: indexHtml, contentType: "text/html; charset=utf-8" }],
  ["/app.css", { body: appCss, contentType: "text/css; charset=utf-8" }],
]);
