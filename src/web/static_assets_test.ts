/**
 * The embedded UI: every file under static/ is in the manifest with the
 * right content type, vendored files match the digests in their README,
 * no page carries inline script or style, and the server answers client
 * routes with the app shell under a CSP that forbids inline script.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { STATIC_ASSETS } from "./static_assets.ts";
import { serveStatic } from "./static.ts";
import { CONTENT_SECURITY_POLICY, securityHeaders } from "./security_headers.ts";
import { contentTypeOf, manifestSource, staticFiles } from "../../scripts/static_manifest.ts";
import { sha256 } from "../crypto/mod.ts";
import { toHex, utf8 } from "../util/bytes.ts";

const STATIC = new URL("../../static/", import.meta.url);

Deno.test("every file under static/ is embedded, with its content type, and nothing else", () => {
  const files = staticFiles();
  assert.deepEqual(
    [...STATIC_ASSETS.keys()].sort(),
    files,
    "run: deno run -R -W --allow-run scripts/static_manifest.ts",
  );
  for (const path of files) {
    const asset = STATIC_ASSETS.get(path)!;
    assert.equal(asset.contentType, contentTypeOf(path), path);
    assert.equal(asset.body, Deno.readTextFileSync(new URL(path.slice(1), STATIC)), path);
  }
  assert.equal(STATIC_ASSETS.get("/app.js")?.contentType, "text/javascript; charset=utf-8");
  assert.equal(
    STATIC_ASSETS.get("/vendor/preact.mjs")?.contentType,
    "text/javascript; charset=utf-8",
  );
});

Deno.test("the manifest is what the generator writes (no hand edits drift)", async () => {
  const generated = manifestSource(staticFiles());
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/static_assets.ts`;
    await Deno.writeTextFile(file, generated);
    const fmt = await new Deno.Command(Deno.execPath(), {
      args: [
        "fmt",
        "--quiet",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        file,
      ],
    }).output();
    assert.ok(fmt.success);
    assert.equal(
      await Deno.readTextFile(file),
      await Deno.readTextFile(new URL("./static_assets.ts", import.meta.url)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vendored files match the versions and digests listed in vendor/README.md", () => {
  const readme = Deno.readTextFileSync(new URL("vendor/README.md", STATIC));
  const rows = [...readme.matchAll(/^\| (\S+\.mjs) \| (\S+@[\d.]+) \| .* \| ([0-9a-f]{64}) \|$/gm)];
  assert.ok(rows.length >= 5, "README lists the vendored modules");
  for (const [, file, , digest] of rows) {
    const text = Deno.readTextFileSync(new URL(`vendor/${file}`, STATIC));
    assert.equal(toHex(sha256(utf8(text))), digest, `${file} differs from its pinned digest`);
    assert.ok(!/sourceMappingURL/.test(text), `${file} points at a source map we do not ship`);
  }
  const vendored = staticFiles().filter((p) => p.startsWith("/vendor/") && p.endsWith(".mjs"));
  assert.deepEqual(vendored.map((p) => p.slice(8)).sort(), rows.map((r) => r[1]).sort());
  for (const license of ["preact", "htm", "preact-signals-core", "qrcode-generator"]) {
    assert.ok(STATIC_ASSETS.has(`/vendor/LICENSE-${license}.txt`), license);
  }
});

Deno.test("UI sources import only relative paths and carry no inline script or style", () => {
  let imports = 0;
  for (const [path, asset] of STATIC_ASSETS) {
    const text = String(asset.body);
    if (path.endsWith(".html")) {
      for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        assert.match(m[1], /\bsrc=/, `${path}: inline <script>`);
        assert.equal(m[2].trim(), "", `${path}: inline script body`);
      }
      assert.ok(!/\sstyle=/.test(text), `${path}: style attribute`);
      assert.ok(!/<style\b/.test(text), `${path}: <style> element`);
      assert.ok(!/\son[a-z]+=/.test(text), `${path}: inline event handler`);
      assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(text), `${path}: external URL`);
    }
    if (path.endsWith(".js") || path.endsWith(".mjs")) {
      for (
        const m of text.matchAll(
          /(?:^|;)\s*(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']/gm,
        )
      ) {
        assert.match(m[1], /^\.\.?\//, `${path}: bare or absolute import "${m[1]}"`);
        imports++;
      }
      if (!path.startsWith("/vendor/")) {
        assert.ok(!/\sstyle=\$?\{?/.test(text), `${path}: style attribute in a template`);
        assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(text), `${path}: external URL`);
      }
    }
  }
  assert.ok(imports > 40, `the import check saw ${imports} imports`);
});

Deno.test("client routes get the app shell; files are served with their types; CSP forbids inline script", async () => {
  const app = new Hono();
  app.use("*", securityHeaders());
  serveStatic(app);
  for (
    const path of [
      "/",
      "/setup",
      "/login",
      "/connect",
      "/messages",
      "/channels",
      "/settings",
      "/keys",
    ]
  ) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await res.text(), /<script type="module" src="\/app.js"><\/script>/);
    const csp = res.headers.get("content-security-policy")!;
    assert.equal(csp, CONTENT_SECURITY_POLICY);
    const scriptSrc = csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src"));
    assert.equal(scriptSrc, "script-src 'self'");
    assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"));
  }
  const js = await app.request("/lib/api.js");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  await js.body?.cancel();
  const svg = await app.request("/favicon.svg");
  assert.equal(svg.headers.get("content-type"), "image/svg+xml; charset=utf-8");
  await svg.body?.cancel();
  const missing = await app.request("/lib/nope.js");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
