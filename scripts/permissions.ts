/**
 * The node's permission flags, read from the one list kept in deno.json
 * (`permissions.canopy`). `deno task start` uses that set directly
 * (`--permission-set=canopy`); `deno compile` and the test harness use the
 * flags rendered here. Paths stay relative, so the compiled binary and test
 * nodes resolve `./data` against the directory they are started from
 * (`deno compile --permission-set` would bake in the build machine's
 * absolute paths).
 * @module
 */

/** deno.json beside this repository's root. */
export const CONFIG_URL = new URL("../deno.json", import.meta.url);
/** Name of the permission set in deno.json. */
export const PERMISSION_SET = "canopy";

type Grant = boolean | string[];

const FLAG_OF: Record<string, string> = {
  read: "--allow-read",
  write: "--allow-write",
  net: "--allow-net",
  env: "--allow-env",
  sys: "--allow-sys",
  run: "--allow-run",
  ffi: "--allow-ffi",
  import: "--allow-import",
};

/** Renders a permission set as `deno run`/`deno compile` flags. */
export function flagsOf(set: Record<string, Grant>): string[] {
  const flags: string[] = [];
  for (const [name, grant] of Object.entries(set)) {
    const flag = FLAG_OF[name];
    if (!flag) throw new RangeError(`permissions.${PERMISSION_SET}: unknown permission "${name}"`);
    if (grant === true) flags.push(flag);
    else if (Array.isArray(grant) && grant.length > 0) flags.push(`${flag}=${grant.join(",")}`);
  }
  flags.push("--no-prompt");
  return flags;
}

/** The node's permission flags, from deno.json. */
export async function nodePermissionFlags(configUrl = CONFIG_URL): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(configUrl));
  const set = config.permissions?.[PERMISSION_SET];
  if (!set) throw new Error(`deno.json has no permissions.${PERMISSION_SET}`);
  return flagsOf(set);
}

if (import.meta.main) console.log((await nodePermissionFlags()).join(" "));
