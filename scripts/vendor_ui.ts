/**
 * Re-creates `static/vendor/` from the npm registry: the web UI's pinned
 * third-party files (Preact, its hooks, htm, @preact/signals-core and
 * qrcode-generator), with their licenses and a README listing versions and
 * SHA-256 digests (src/web/static_assets_test.ts checks the files against
 * it). Run it only to change a version:
 *
 *   deno run --allow-run=npm,tar --allow-read --allow-write scripts/vendor_ui.ts
 *
 * The UI has no import map (it would be an inline script, which the CSP
 * forbids), so bare specifiers such as `from"preact"` are rewritten to
 * relative paths; source-map comments are dropped (the maps are not
 * shipped). Nothing else is changed.
 * @module
 */
import { sha256 } from "../src/crypto/mod.ts";
import { toHex } from "../src/util/bytes.ts";

const ROOT = new URL("../", import.meta.url);
const VENDOR = new URL("static/vendor/", ROOT);

/** One vendored file. */
interface VendoredFile {
  readonly pkg: string;
  readonly version: string;
  /** Path inside the package. */
  readonly from: string;
  /** Name under static/vendor/. */
  readonly to: string;
  /** Bare specifier → relative path. */
  readonly rewrite?: Readonly<Record<string, string>>;
}

/** The pinned files. */
export const FILES: readonly VendoredFile[] = [
  { pkg: "preact", version: "11.2.0", from: "dist/preact.mjs", to: "preact.mjs" },
  {
    pkg: "preact",
    version: "11.2.0",
    from: "hooks/dist/hooks.mjs",
    to: "preact-hooks.mjs",
    rewrite: { preact: "./preact.mjs" },
  },
  { pkg: "htm", version: "3.1.1", from: "dist/htm.mjs", to: "htm.mjs" },
  {
    pkg: "@preact/signals-core",
    version: "1.14.5",
    from: "dist/signals-core.mjs",
    to: "signals-core.mjs",
  },
  { pkg: "qrcode-generator", version: "2.0.4", from: "dist/qrcode.mjs", to: "qrcode.mjs" },
];

/** License file of each package, as shipped (qrcode-generator ships none: see below). */
const LICENSES: Readonly<Record<string, string>> = {
  preact: "LICENSE",
  htm: "LICENSE",
  "@preact/signals-core": "LICENSE",
};

/** qrcode-generator declares "MIT" and names its author in its source header. */
const QRCODE_LICENSE = `MIT License

Copyright (c) 2009 Kazuhiko Arase

URL: http://www.d-project.com/

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

The word "QR Code" is a registered trademark of DENSO WAVE INCORPORATED.
`;

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Downloads and unpacks `pkg@version`; returns the package folder. */
async function unpack(tmp: string, pkg: string, version: string): Promise<string> {
  const name = (await run("npm", ["pack", "--silent", `${pkg}@${version}`], tmp)).trim()
    .split("\n").pop()!;
  const dir = `${tmp}/${name.replace(/\.tgz$/, "")}`;
  await Deno.mkdir(dir, { recursive: true });
  await run("tar", ["xzf", `${tmp}/${name}`, "-C", dir], tmp);
  return `${dir}/package`;
}

/** Applies the documented changes to a vendored module. */
export function adapt(text: string, rewrite: Readonly<Record<string, string>> = {}): string {
  let out = text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
  for (const [bare, rel] of Object.entries(rewrite)) {
    out = out.replaceAll(`from"${bare}"`, `from"${rel}"`).replaceAll(
      `from "${bare}"`,
      `from "${rel}"`,
    );
  }
  return out;
}

if (import.meta.main) {
  const tmp = await Deno.makeTempDir({ prefix: "canopy-vendor-" });
  try {
    await Deno.remove(VENDOR, { recursive: true }).catch(() => {});
    await Deno.mkdir(VENDOR, { recursive: true });
    const dirs = new Map<string, string>();
    const rows: string[] = [];
    for (const f of FILES) {
      const key = `${f.pkg}@${f.version}`;
      if (!dirs.has(key)) dirs.set(key, await unpack(tmp, f.pkg, f.version));
      const original = await Deno.readTextFile(`${dirs.get(key)}/${f.from}`);
      const text = adapt(original, f.rewrite);
      await Deno.writeTextFile(new URL(f.to, VENDOR), text);
      const changes = [
        ...(original.includes("//# sourceMappingURL=") ? ["source-map comment dropped"] : []),
        ...Object.entries(f.rewrite ?? {}).map(([a, b]) => `\`"${a}"\` → \`"${b}"\``),
      ].join("; ") || "none";
      rows.push(
        `| ${f.to} | ${f.pkg}@${f.version} | ${f.from} | ${changes} | ${
          toHex(sha256(new TextEncoder().encode(text)))
        } |`,
      );
    }
    const licenseRows: string[] = [];
    for (const [key, dir] of dirs) {
      const pkg = key.slice(0, key.lastIndexOf("@"));
      const to = `LICENSE-${pkg.replace(/^@/, "").replace("/", "-")}.txt`;
      const text = LICENSES[pkg]
        ? await Deno.readTextFile(`${dir}/${LICENSES[pkg]}`)
        : QRCODE_LICENSE;
      await Deno.writeTextFile(new URL(to, VENDOR), text);
      licenseRows.push(`| ${to} | ${key} |`);
    }
    await Deno.writeTextFile(
      new URL("README.md", VENDOR),
      `# Vendored UI files

Pinned third-party files of the web UI, served from the binary (no CDN). Made by
\`scripts/vendor_ui.ts\` from the npm packages named below; do not edit them by hand. The UI has no
import map (an inline script, which the CSP forbids), so bare import specifiers are rewritten to
relative paths. \`src/web/static_assets_test.ts\` checks every file against its digest here.

| File | Package | From | Changes | SHA-256 |
| ---- | ------- | ---- | ------- | ------- |
${rows.join("\n")}

| License | Of |
| ------- | -- |
${licenseRows.join("\n")}

qrcode-generator ships no license file; its package.json says "MIT" and its source names Kazuhiko
Arase as the author, so its license file is the MIT text with that notice.
`,
    );
    console.log(`wrote ${FILES.length} files and ${licenseRows.length} licenses to static/vendor/`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
