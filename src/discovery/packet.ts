/**
 * DNS messages as dns-packet (inside multicast-dns) represents them, and the
 * check that a packet we built can be encoded. Pure.
 * @module
 */

/** Longest DNS label (bytes). */
export const MAX_LABEL_BYTES = 63;
/** Longest DNS name (characters, without the trailing dot). */
export const MAX_NAME_LENGTH = 253;

/** A question as dns-packet represents it. */
export interface MdnsQuestion {
  readonly name: string;
  readonly type: string;
  readonly class?: string;
}

/** A resource record as dns-packet represents it. */
export interface MdnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly class?: string;
  /** The mDNS cache-flush bit (RFC 6762 §10.2). */
  readonly flush?: boolean;
  readonly data?: unknown;
}

/** A DNS message as dns-packet represents it. */
export interface MdnsPacket {
  readonly type?: "query" | "response";
  readonly id?: number;
  readonly flags?: number;
  readonly questions?: readonly MdnsQuestion[];
  readonly answers?: readonly MdnsRecord[];
  readonly authorities?: readonly MdnsRecord[];
  readonly additionals?: readonly MdnsRecord[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const byteLength = (text: string) => new TextEncoder().encode(text).length;

/**
 * Why dns-packet could not encode a packet we built, or null when it can.
 * multicast-dns encodes on a later tick, where a throw would be uncaught,
 * so the adapter checks every outgoing packet with this first.
 */
export function unencodable(packet: MdnsPacket): string | null {
  const nameOk = (n: unknown) =>
    typeof n === "string" && n.length <= MAX_NAME_LENGTH &&
    n.split(".").every((l) => l !== "" && byteLength(l) <= MAX_LABEL_BYTES);
  for (const q of packet.questions ?? []) {
    if (!nameOk(q.name)) return `bad question name ${JSON.stringify(q.name)}`;
  }
  const records = [
    ...(packet.answers ?? []),
    ...(packet.authorities ?? []),
    ...(packet.additionals ?? []),
  ];
  for (const r of records) {
    if (!nameOk(r.name)) return `bad record name ${JSON.stringify(r.name)}`;
    const ttl = r.ttl ?? 0;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) return `bad ttl ${ttl}`;
    const d = r.data;
    switch (r.type) {
      case "PTR":
        if (!nameOk(d)) return `bad PTR data ${JSON.stringify(d)}`;
        break;
      case "SRV": {
        const srv = d as { port?: unknown; target?: unknown };
        if (
          typeof srv?.port !== "number" || !Number.isInteger(srv.port) || srv.port < 0 ||
          srv.port > 65535 || !nameOk(srv.target)
        ) return "bad SRV data";
        break;
      }
      case "TXT":
        if (
          !Array.isArray(d) ||
          !d.every((s) => typeof s === "string" && byteLength(s) <= 255)
        ) return "bad TXT data";
        break;
      case "A":
        if (typeof d !== "string" || !IPV4.test(d)) return `bad A data ${JSON.stringify(d)}`;
        break;
      case "AAAA":
        if (typeof d !== "string" || !/^[0-9a-fA-F:]{2,39}$/.test(d) || !d.includes(":")) {
          return `bad AAAA data ${JSON.stringify(d)}`;
        }
        break;
      default:
        return `unexpected record type ${r.type}`;
    }
  }
  return null;
}
