/**
 * Which mesh endpoints an invite advertises (SPEC §3): the public host/port
 * first when given, then one per non-loopback interface address; loopback
 * only when the listener is bound to loopback or nothing else exists.
 * Pure: the interface list is passed in.
 * @module
 */

/** The part of `Deno.NetworkInterfaceInfo` we use. */
export interface InterfaceAddress {
  readonly family: "IPv4" | "IPv6";
  readonly address: string;
}

/** Inputs of `advertisedEndpoints`. */
export interface EndpointOptions {
  readonly meshHost: string;
  readonly meshPort: number;
  readonly publicHost?: string;
  readonly publicPort?: number;
  readonly interfaces: readonly InterfaceAddress[];
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** True for 127.0.0.0/8, ::1 and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || h.startsWith("127.") || h === "::ffff:127.0.0.1";
}

function isLinkLocal(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith("fe80:") || a.startsWith("169.254.");
}

/** `ws://host:port`, bracketing IPv6 literals. */
export function wsUrl(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  return `ws://${bare.includes(":") ? `[${bare}]` : bare}:${port}`;
}

/** The endpoints to put in an invite, most preferred first, without duplicates. */
export function advertisedEndpoints(options: EndpointOptions): string[] {
  const out: string[] = [];
  const add = (url: string) => {
    if (!out.includes(url)) out.push(url);
  };
  if (options.publicHost) add(wsUrl(options.publicHost, options.publicPort ?? options.meshPort));
  const port = options.meshPort;
  if (!WILDCARDS.has(options.meshHost)) {
    add(wsUrl(options.meshHost, port));
    return out;
  }
  const ipv6 = options.meshHost === "::";
  const candidates = options.interfaces.filter((i) =>
    (i.family === "IPv4" || ipv6) && !isLoopback(i.address) && !isLinkLocal(i.address)
  );
  // IPv4 first: it is what people can read and type.
  candidates.sort((a, b) => (a.family === b.family ? 0 : a.family === "IPv4" ? -1 : 1));
  for (const i of candidates) add(wsUrl(i.address, port));
  if (candidates.length === 0) add(wsUrl("127.0.0.1", port));
  return out;
}
