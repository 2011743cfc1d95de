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

/** Worker entry points the binary must embed (src/crypto/crypto_pool.ts). */
export const WORKER_MODULES = ["src/crypto/crypto_worker.ts"];
/** npm packages the node never imports at run time: kept out of the binary. */
export const DEV_ONLY_PACKAGES = ["puppeteer-core"];
/** Folders inside packages that the ESM runtime never loads (typings, CJS builds, TS sources). */
export const UNUSED_PACKAGE_DIRS = ["dist/cjs", "dist/types", "src"];

/** The parts of deno.lock that say which npm package needs which. */
export interface LockFile {
  readonly npm?: Readonly<Record<string, { readonly dependencies?: readonly string[] }>>;
  readonly workspace?: { readonly dependencies?: readonly string[] };
}

/**
 * Store folders (`node_modules/.deno/<folder>`) of the packages that only
 * DEV_ONLY_PACKAGES pull in (puppeteer-core's ws, chromium-bidi, yargs…),
 * from deno.lock: everything the dev-only roots reach, minus everything
 * the other roots reach.
 */
export function devOnlyStoreDirs(lock: LockFile): Set<string> {
  const npm = lock.npm ?? {};
  const keys = Object.keys(npm);
  // "name" or "name@version" → the lock key ("chromium-bidi@1.0.0_devtools-protocol@2" too).
  const resolve = (dep: string) =>
    keys.find((k) => k === dep || k.startsWith(`${dep}_`)) ??
      keys.find((k) => k.startsWith(`${dep}@`));
  const reach = (roots: string[]) => {
    const seen = new Set<string>();
    const stack = roots.map(resolve).filter((k): k is string => k !== undefined);
    while (stack.length) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const dep of npm[key]?.dependencies ?? []) {
        const next = resolve(dep);
        if (next) stack.push(next);
      }
    }
    return seen;
  };
  const roots = (lock.workspace?.dependencies ?? [])
    .filter((d) => d.startsWith("npm:"))
    .map((d) => d.slice(4));
  const isDev = (root: string) => DEV_ONLY_PACKAGES.some((p) => root.startsWith(`${p}@`));
  const runtime = reach(roots.filter((r) => !isDev(r)));
  const dirs = new Set<string>();
  for (const key of reach(roots.filter(isDev))) {
    if (runtime.has(key)) continue;
    // Folder: the key without its peer-dependency suffix, "/" as "+".
    dirs.add(key.replace(/^(@?[^@]+@[^_]+)_.*$/, "$1").replace("/", "+"));
  }
  return dirs;
}

function readLock(root: URL): LockFile {
  try {
    return JSON.parse(Deno.readTextFileSync(new URL("deno.lock", root)));
  } catch {
    return {};
  }
}

/**
 * Symlinks (in `dir`, relative to `root`) that lead into a store folder in
 * `devDirs`: `deno compile` follows links, so excluding the folder alone
 * would still embed what the top-level and hoisted links point at.
 */
function linksInto(root: URL, dir: string, devDirs: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(new URL(dir, root))];
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory && entry.name.startsWith("@")) {
      out.push(...linksInto(root, `${path}/`, devDirs));
    } else if (entry.isSymlink) {
      const target = Deno.readLinkSync(new URL(path, root));
      // ".deno/ws@8.23.0/node_modules/ws" (top level) or "../../@scope+x@1/…" (hoisted)
      const folder = /(?:^|\/)\.deno\/([^/]+)\/|^(?:\.\.\/)+([^/]+)\//.exec(target);
      if (folder && devDirs.has(folder[1] ?? folder[2])) out.push(path);
    }
  }
  return out;
}

/** Exact paths under node_modules to leave out of the binary. */
export function nodeModulesExcludes(root: URL): string[] {
  const out: string[] = [];
  const devDirs = devOnlyStoreDirs(readLock(root));
  out.push(...linksInto(root, "node_modules/", devDirs));
  out.push(...linksInto(root, "node_modules/.deno/node_modules/", devDirs));
  // Package executables are never run by the node.
  out.push("node_modules/.bin");
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
    if (DEV_ONLY_PACKAGES.includes(name) || devDirs.has(entry.name) || name.startsWith("@types/")) {
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
