/**
 * The names this node's web UI may be reached by, for the Host check
 * against DNS rebinding (src/web/origin_check.ts): its `--host` and
 * `--public-host` when they are names, and the machine's host name (also
 * with `.local`, as mDNS announces it). IP literals and `localhost` are
 * always accepted and need not be listed.
 * @module
 */
import type { NodeSettings } from "../config/config.ts";

function machineHostname(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined; // not permitted: only the other names apply
  }
}

/** The host names of this node, lower case, without duplicates. */
export function ownHostNames(
  settings: Pick<NodeSettings, "host" | "publicHost">,
  hostname: () => string | undefined = machineHostname,
): string[] {
  const names = new Set<string>();
  const add = (name: string | undefined) => {
    const n = name?.trim().toLowerCase().replace(/\.$/, "");
    if (n) names.add(n);
  };
  add(settings.host);
  add(settings.publicHost);
  const machine = hostname();
  add(machine);
  if (machine && !machine.includes(".")) add(`${machine}.local`);
  return [...names];
}
