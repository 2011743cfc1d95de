/**
 * Network namespaces for multi-host tests (needs root and iproute2). Every
 * namespace is created by the test and deleted in `close()`; traffic never
 * leaves them. Set CI_REQUIRE_NETNS=1 to make a missing capability an error
 * instead of a skipped test (the CI script does).
 * @module
 */

import { closeNsHttp } from "./ns_http.ts";

const decoder = new TextDecoder();

async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${decoder.decode(out.stderr).trim()}`);
  return decoder.decode(out.stdout);
}

let probed: boolean | undefined;

/** True when this process can create network namespaces. */
export async function netnsAvailable(): Promise<boolean> {
  if (probed !== undefined) return probed;
  const name = `canopy-probe-${Deno.pid}`;
  try {
    await ip("netns", "add", name);
    await ip("netns", "del", name);
    probed = true;
  } catch {
    probed = false;
  }
  if (!probed && Deno.env.get("CI_REQUIRE_NETNS") === "1") {
    throw new Error("network namespaces are required (CI_REQUIRE_NETNS=1) but unavailable");
  }
  return probed;
}

/** A set of namespaces (hosts) and the links between them. */
export class Netns {
  readonly #names: string[] = [];
  readonly #prefix = `cn${Deno.pid % 10000}${Math.floor(Math.random() * 1000)}`;

  /** Creates a namespace with loopback up; returns its name. */
  async host(label: string): Promise<string> {
    const name = `${this.#prefix}-${label}`;
    await ip("netns", "add", name);
    this.#names.push(name);
    await ip("-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** Links two namespaces with a veth pair and gives each end an address (CIDR). */
  async link(a: string, addrA: string, b: string, addrB: string): Promise<void> {
    const n = this.#names.length + Math.floor(Math.random() * 10000);
    const va = `va${n}`;
    const vb = `vb${n}`;
    await ip("link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b);
    await ip("-n", a, "addr", "add", addrA, "dev", va);
    await ip("-n", b, "addr", "add", addrB, "dev", vb);
    await ip("-n", a, "link", "set", va, "up");
    await ip("-n", b, "link", "set", vb, "up");
  }

  /**
   * A LAN segment: a bridge inside a namespace of its own (so nothing on it,
   * multicast included, can reach the host). Returns that namespace; plug
   * hosts into it with `attach`.
   */
  async bridge(label: string): Promise<string> {
    const ns = await this.host(label);
    await ip("-n", ns, "link", "add", "br0", "type", "bridge");
    // Flood multicast to every port: no IGMP snooping surprises in tests.
    await ip("-n", ns, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0");
    await ip("-n", ns, "link", "set", "br0", "up");
    return ns;
  }

  /**
   * Plugs a host namespace into a bridge from `bridge()` with a veth pair,
   * gives it `addr` (CIDR) and routes multicast (224.0.0.0/4, mDNS) out of
   * that link.
   */
  async attach(bridgeNs: string, ns: string, addr: string): Promise<void> {
    const n = this.#names.length + Math.floor(Math.random() * 10000);
    const host = `vh${n}`;
    const port = `vp${n}`;
    await ip(
      "link",
      "add",
      host,
      "netns",
      ns,
      "type",
      "veth",
      "peer",
      "name",
      port,
      "netns",
      bridgeNs,
    );
    await ip("-n", bridgeNs, "link", "set", port, "master", "br0");
    await ip("-n", bridgeNs, "link", "set", port, "up");
    await ip("-n", ns, "addr", "add", addr, "dev", host);
    await ip("-n", ns, "link", "set", host, "up");
    await ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", host);
  }

  /** Runs `ip` inside a namespace (e.g. to add a route). */
  exec(ns: string, ...args: string[]): Promise<string> {
    return ip("-n", ns, ...args);
  }

  /** Deletes every namespace (and with them their links). Idempotent. */
  async close(): Promise<void> {
    const names = this.#names.splice(0);
    await Promise.allSettled(names.map((n) => closeNsHttp(n)));
    await Promise.allSettled(names.map((n) => ip("netns", "del", n)));
  }
}
