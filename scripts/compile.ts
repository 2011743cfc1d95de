/**
 * `deno task compile [--target T] [--output PATH]`: builds the single
 * executable with the node's permission flags from deno.json (rendered by
 * scripts/permissions.ts so paths stay relative to where the binary runs).
 * The web UI is part of the module graph (text imports), so it is embedded
 * without --include. Anything in node_modules that the node does not import
 * (test tools such as puppeteer-core) is excluded.
 * @module
 */
import { nodePermissionFlags } from "./permissions.ts";

const ROOT = new URL("../", import.meta.url);

/** Worker entry points the binary must embed (src/crypto/verify_pool.ts). */
export const WORKER_MODULES = ["src/crypto/verify_worker.ts"];
/** npm packages the node never imports at run time: kept out of the binary. */
export const DEV_ONLY_PACKAGES = ["puppeteer-core"];
/** Folders inside packages that the ESM runtime never loads (typings, CJS builds, TS sources). */
export const UNUSED_PACKAGE_DIRS = ["dist/cjs", "dist/types", "src"];

/** Exact paths under node_modules to leave out of the binary. */
export function nodeModulesExcludes(root: URL): string[] {
  const out: string[] = [];
  const store = new URL("node_modules/.deno/", root);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(store)];
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || entry.name === "node_modules") continue;
    // "@noble+curves@2.4.0" → package "@noble/curves"
    const name = entry.name.slice(0, entry.name.lastIndexOf("@")).replace("+", "/");
    const pkgDir = `node_modules/.deno/${entry.name}/node_modules/${name}`;
    if (DEV_ONLY_PACKAGES.includes(name) || name.startsWith("@types/")) {
      out.push(`node_modules/.deno/${entry.name}`);
      continue;
    }
    for (const sub of UNUSED_PACKAGE_DIRS) {
      // base-x ships its ESM build under src/: only drop folders nothing imports.
      if (sub === "src" && !name.startsWith("@noble/")) continue;
      try {
        if (Deno.statSync(new URL(`${pkgDir}/${sub}`, root)).isDirectory) {
          out.push(`${pkgDir}/${sub}`);
        }
      } catch { /* absent */ }
    }
  }
  return out;
}

/** The `deno compile` arguments for `extra` user arguments. */
export async function compileArgs(extra: readonly string[]): Promise<string[]> {
  const hasOutput = extra.some((a) => a === "--output" || a === "-o" || a.startsWith("--output="));
  const hasTarget = extra.some((a) => a === "--target" || a.startsWith("--target="));
  const target = hasTarget
    ? extra[extra.findIndex((a) => a.startsWith("--target")) + 1] ?? ""
    : Deno.build.target;
  const exe = target.includes("windows") ? "canopy.exe" : "canopy";
  return [
    "compile",
    ...(await nodePermissionFlags()),
    ...nodeModulesExcludes(ROOT).flatMap((p) => ["--exclude", p]),
    // Loaded with `new Worker(...)`, so not found by following imports.
    ...WORKER_MODULES.flatMap((p) => ["--include", p]),
    ...(hasOutput ? [] : ["--output", exe]),
    ...extra,
    "main.ts",
  ];
}

if (import.meta.main) {
  const args = await compileArgs(Deno.args);
  console.error(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}
