/**
 * The DNS-SD records of a Canopy node (SPEC §7, PROTOCOL §11): pure encoding
 * of our PTR/SRV/TXT/A/AAAA records, the answers to a query, and bounded
 * decoding of what other responders announce. Nothing here touches a socket;
 * malformed input from the network yields a reason string, never a throw.
 * @module
 */
import { decodeTxt, encodeTxt, type ServiceTxt } from "./txt.ts";
import { MAX_LABEL_BYTES, type MdnsPacket, type MdnsQuestion, type MdnsRecord } from "./packet.ts";

export type { MdnsPacket, MdnsQuestion, MdnsRecord, ServiceTxt };

/** The DNS-SD service type (PROTOCOL §11), without the trailing dot. */
export const SERVICE_TYPE = "_canopy._tcp.local";
/** DNS-SD service type enumeration (RFC 6763 §9). */
export const SERVICE_ENUMERATION = "_services._dns-sd._udp.local";
/** The mDNS port (RFC 6762). */
export const MDNS_PORT = 5353;
/** Longest device-name part of an instance name (characters). */
export const MAX_NAME_CHARS = 40;
/** Longest TTL kept from the network (seconds; RFC 6762 §10 uses 4500 for the longest). */
export const MAX_TTL_S = 4500;
/** Most records read from one packet (answers + additionals). */
export const MAX_RECORDS_PER_PACKET = 64;
/** Highest TTL of a unicast reply to a legacy (non-5353) querier (RFC 6762 §6.7). */
export const LEGACY_UNICAST_TTL_S = 10;

/** Everything this node advertises. */
export interface Advertisement {
  /** Instance label (the part before `._canopy._tcp.local`). */
  readonly instance: string;
  /** Host label (the part before `.local`), target of the SRV record. */
  readonly host: string;
  /** Mesh port (SRV port). */
  readonly port: number;
  readonly txt: ServiceTxt;
  /** IPv4/IPv6 addresses for A/AAAA records. */
  readonly addresses: readonly string[];
}

/** One record of another node's service, decoded and checked. */
export type ServiceRecord =
  | {
    readonly kind: "ptr";
    /** Canonical instance name (lower case), the key of the other records. */
    readonly instance: string;
    /** The instance label as announced (for display). */
    readonly label: string;
    readonly ttl: number;
  }
  | {
    readonly kind: "srv";
    readonly instance: string;
    readonly target: string;
    readonly port: number;
    readonly ttl: number;
    readonly flush: boolean;
  }
  | {
    readonly kind: "txt";
    readonly instance: string;
    readonly txt: ServiceTxt;
    readonly ttl: number;
    readonly flush: boolean;
  }
  | {
    readonly kind: "addr";
    readonly host: string;
    readonly address: string;
    readonly ttl: number;
    readonly flush: boolean;
  };

/** `label._canopy._tcp.local`. */
export function instanceFqdn(label: string): string {
  return `${label}.${SERVICE_TYPE}`;
}

/** `label.local`. */
export function hostFqdn(label: string): string {
  return `${label}.local`;
}

/** Lower-cased name without a trailing dot: DNS names compare case-insensitively. */
export function canonicalName(name: string): string {
  return name.replace(/\.$/, "").toLowerCase();
}

const byteLength = (text: string) => new TextEncoder().encode(text).length;

/**
 * The instance label of a node: its device name made DNS-safe (letters,
 * digits and hyphens, at most `MAX_NAME_CHARS`), then `-` and the first six
 * characters of its peer id so that two nodes on one host stay apart.
 */
export function instanceLabel(deviceName: string, peerId: string): string {
  const first = deviceName.split(".")[0] ?? "";
  const safe = first.replace(/[^A-Za-z0-9-]+/g, "-").replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, MAX_NAME_CHARS).replace(/-+$/, "");
  return `${safe || "canopy"}-${peerId.slice(0, 6)}`;
}

/** The host label of a node: unique per peer id, never the machine's own `host.local`. */
export function hostLabel(peerId: string): string {
  return `canopy-${peerId}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

/** True for an IPv4 address in dotted form. */
export function isIPv4(address: string): boolean {
  return IPV4.test(address);
}

function addressRecord(host: string, address: string, ttl: number): MdnsRecord {
  return {
    name: hostFqdn(host),
    type: isIPv4(address) ? "A" : "AAAA",
    ttl,
    flush: true,
    data: address,
  };
}

/** Our records: the PTR as answer; SRV, TXT and addresses as additionals. `ttl` 0 is a goodbye. */
export function advertRecords(
  ad: Advertisement,
  ttl: number,
): { answers: MdnsRecord[]; additionals: MdnsRecord[] } {
  const name = instanceFqdn(ad.instance);
  return {
    answers: [{ name: SERVICE_TYPE, type: "PTR", ttl, data: name }],
    additionals: [
      { name, type: "SRV", ttl, flush: true, data: { port: ad.port, target: hostFqdn(ad.host) } },
      { name, type: "TXT", ttl, flush: true, data: encodeTxt(ad.txt) },
      ...ad.addresses.map((a) => addressRecord(ad.host, a, ttl)),
    ],
  };
}

/** Goodbye records for addresses that went away (RFC 6762 §10.1). */
export function addressGoodbyes(host: string, addresses: readonly string[]): MdnsRecord[] {
  return addresses.map((a) => addressRecord(host, a, 0));
}

const wants = (q: MdnsQuestion, type: string) => q.type === type || q.type === "ANY";

/** The objects of a list read from the network, at most `MAX_RECORDS_PER_PACKET` (anything else → []). */
function objects<T>(list: readonly T[] | undefined): T[] {
  if (!Array.isArray(list)) return [];
  return list.slice(0, MAX_RECORDS_PER_PACKET).filter((x) => typeof x === "object" && x !== null);
}

function recordKey(r: MdnsRecord): string {
  return `${canonicalName(r.name)}|${r.type}|${JSON.stringify(r.data)}`;
}

/**
 * The answers this node gives to a query, or null when it asks nothing we
 * own. Applies known-answer suppression (RFC 6762 §7.1) to the PTR: a querier
 * that already holds it with at least half its TTL left gets no answer.
 */
export function answerQuery(
  query: MdnsPacket,
  ad: Advertisement,
  ttl: number,
): { answers: MdnsRecord[]; additionals: MdnsRecord[] } | null {
  const ours = advertRecords(ad, ttl);
  const [ptr] = ours.answers;
  const [srv, txt, ...addrs] = ours.additionals;
  const instance = canonicalName(instanceFqdn(ad.instance));
  const host = canonicalName(hostFqdn(ad.host));
  const known = objects(query.answers);
  const suppressed = known.some((k) =>
    k.type === "PTR" && canonicalName(k.name) === SERVICE_TYPE &&
    typeof k.data === "string" && canonicalName(k.data) === instance &&
    (k.ttl ?? 0) >= ttl / 2
  );
  const answers: MdnsRecord[] = [];
  const additionals: MdnsRecord[] = [];
  for (const q of objects(query.questions)) {
    const name = canonicalName(String(q.name));
    if (name === SERVICE_TYPE && wants(q, "PTR") && !suppressed) {
      answers.push(ptr);
      additionals.push(srv, txt, ...addrs);
    } else if (name === SERVICE_ENUMERATION && wants(q, "PTR")) {
      answers.push({ name: SERVICE_ENUMERATION, type: "PTR", ttl, data: SERVICE_TYPE });
    } else if (name === instance) {
      if (wants(q, "SRV")) answers.push(srv);
      if (wants(q, "TXT")) answers.push(txt);
      if (wants(q, "SRV")) additionals.push(...addrs);
    } else if (name === host) {
      answers.push(...addrs.filter((a) => wants(q, a.type)));
    }
  }
  if (answers.length === 0) return null;
  const seen = new Set(answers.map(recordKey));
  const extra = additionals.filter((r) => {
    const k = recordKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { answers: dedupe(answers), additionals: extra };
}

function dedupe(records: MdnsRecord[]): MdnsRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = recordKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function ttlOf(r: MdnsRecord): number | undefined {
  const ttl = r.ttl;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0) return undefined;
  return Math.min(ttl, MAX_TTL_S);
}

function instanceOf(name: string): string | undefined {
  const suffix = `.${SERVICE_TYPE}`;
  const canonical = canonicalName(name);
  if (!canonical.endsWith(suffix)) return undefined;
  const label = canonical.slice(0, -suffix.length);
  return label !== "" && byteLength(label) <= MAX_LABEL_BYTES ? canonical : undefined;
}

/**
 * The records of a response that concern `_canopy._tcp` services, checked
 * and bounded. Everything else in the packet (other services, other hosts'
 * records) is skipped silently; broken records of our service are reported
 * by reason in `malformed`.
 */
export function serviceRecordsOf(
  packet: MdnsPacket,
): { records: ServiceRecord[]; malformed: string[] } {
  const all = [
    ...(Array.isArray(packet.answers) ? packet.answers : []),
    ...(Array.isArray(packet.additionals) ? packet.additionals : []),
  ];
  const malformed: string[] = [];
  if (all.length > MAX_RECORDS_PER_PACKET) malformed.push("too_many_records");
  const records: ServiceRecord[] = [];
  for (const r of all.slice(0, MAX_RECORDS_PER_PACKET)) {
    if (typeof r !== "object" || r === null || typeof r.name !== "string") continue;
    const ttl = ttlOf(r);
    const flush = r.flush === true;
    if (r.type === "PTR" && canonicalName(r.name) === SERVICE_TYPE) {
      const instance = typeof r.data === "string" ? instanceOf(r.data) : undefined;
      if (!instance || ttl === undefined) malformed.push("bad_ptr");
      else {
        const label = (r.data as string).replace(/\.$/, "").slice(0, -SERVICE_TYPE.length - 1);
        records.push({ kind: "ptr", instance, label, ttl });
      }
    } else if (r.type === "SRV" && instanceOf(r.name)) {
      const d = r.data as { port?: unknown; target?: unknown } | undefined;
      const port = d?.port;
      const target = d?.target;
      if (
        ttl === undefined || typeof port !== "number" || !Number.isInteger(port) || port < 1 ||
        port > 65535 || typeof target !== "string" || target === "" || target.length > 255
      ) malformed.push("bad_srv");
      else {
        records.push({
          kind: "srv",
          instance: instanceOf(r.name)!,
          target: canonicalName(target),
          port,
          ttl,
          flush,
        });
      }
    } else if (r.type === "TXT" && instanceOf(r.name)) {
      const txt = ttl === undefined ? "bad_ttl" : decodeTxt(r.data);
      if (typeof txt === "string") malformed.push(txt);
      else records.push({ kind: "txt", instance: instanceOf(r.name)!, txt, ttl: ttl!, flush });
    } else if (r.type === "A" || r.type === "AAAA") {
      const address = r.data;
      const ok = typeof address === "string" &&
        (r.type === "A" ? isIPv4(address) : IPV6.test(address) && address.includes(":"));
      if (ok && ttl !== undefined) {
        records.push({ kind: "addr", host: canonicalName(r.name), address, ttl, flush });
      } else malformed.push("bad_address");
    }
  }
  return { records, malformed };
}

/** A record as sent in a legacy unicast reply: TTL at most 10 s, no cache-flush bit (RFC 6762 §6.7). */
export function unicastSafe(r: MdnsRecord): MdnsRecord {
  return { ...r, ttl: Math.min(r.ttl ?? 0, LEGACY_UNICAST_TTL_S), flush: false };
}

/** `ws://host:port`, bracketing IPv6 literals. */
export function endpointOf(address: string, port: number): string {
  return `ws://${address.includes(":") ? `[${address}]` : address}:${port}`;
}
