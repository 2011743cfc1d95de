/**
 * The advertising half of LAN discovery (PROTOCOL §11): what this node
 * announces, answers and says goodbye with, and what to send when its
 * device name or addresses change. Pure: it builds packets, the service
 * sends them.
 * @module
 */
import type { Logger } from "../util/log.ts";
import {
  addressGoodbyes,
  type Advertisement,
  advertRecords,
  answerQuery,
  canonicalName,
  hostFqdn,
  hostLabel,
  instanceFqdn,
  instanceLabel,
  isIPv4,
  MDNS_PORT,
  type MdnsPacket,
  unicastSafe,
} from "./records.ts";

/** DNS header flag of an authoritative answer. */
export const AUTHORITATIVE = 1 << 10;

/** Options of `Advertiser`. */
export interface AdvertiserOptions {
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  /** Protocol version put in the TXT record. */
  readonly protocolVersion: number;
  /** The mesh port actually listened on. */
  readonly meshPort: number;
  /** Device name the instance name is made from (sanitized here); a change is re-announced. */
  readonly deviceName: () => string;
  /** This node's LAN addresses for A/AAAA records (loopback and link-local are never advertised). */
  readonly addresses: () => readonly string[];
  readonly ttlSeconds: number;
  readonly log: Logger;
}

const isLoopback = (a: string) => a.startsWith("127.") || a === "::1";
const isLinkLocal = (a: string) => a.startsWith("169.254.") || a.toLowerCase().startsWith("fe80:");

/** This node's records. */
export class Advertiser {
  readonly #o: AdvertiserOptions;
  readonly #host: string;
  #instance: string;
  #addresses: readonly string[];

  constructor(options: AdvertiserOptions) {
    this.#o = options;
    this.#host = hostLabel(options.peerId);
    this.#instance = this.#label();
    this.#addresses = this.#currentAddresses();
  }

  /** Instance label (e.g. `laptop-7Hx2kQ`). */
  get instance(): string {
    return this.#instance;
  }

  /** Addresses currently advertised. */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  /** Our own instance and host names, canonical (to skip them when heard back). */
  ownNames(): { instance: string; host: string } {
    return {
      instance: canonicalName(instanceFqdn(this.#instance)),
      host: canonicalName(hostFqdn(this.#host)),
    };
  }

  /** The unsolicited announcement: every record in the answer section (RFC 6762 §8.3). */
  announcement(): MdnsPacket {
    const { answers, additionals } = advertRecords(this.#advert(), this.#o.ttlSeconds);
    return { type: "response", flags: AUTHORITATIVE, answers: [...answers, ...additionals] };
  }

  /** Every record with TTL 0 (RFC 6762 §10.1). */
  goodbye(): MdnsPacket {
    const { answers, additionals } = advertRecords(this.#advert(), 0);
    return { type: "response", flags: AUTHORITATIVE, answers: [...answers, ...additionals] };
  }

  /**
   * The reply to a query, or null. A query from a port other than 5353 is a
   * legacy unicast query (RFC 6762 §6.7): it is answered to its sender with its
   * id and the questions answered, short TTLs and no cache-flush bits.
   */
  reply(
    query: MdnsPacket,
    from: { address: string; port: number },
  ): { packet: MdnsPacket; to?: { address: string; port: number } } | null {
    const reply = answerQuery(query, this.#advert(), this.#o.ttlSeconds);
    if (!reply) return null;
    if (from.port === MDNS_PORT) {
      return { packet: { type: "response", flags: AUTHORITATIVE, ...reply } };
    }
    const questions = (Array.isArray(query.questions) ? query.questions : []).filter((q) =>
      typeof q === "object" && q !== null &&
      reply.answers.some((a) => canonicalName(a.name) === canonicalName(String(q.name)))
    ).slice(0, 8).map((q) => ({ name: canonicalName(String(q.name)), type: q.type }));
    return {
      packet: {
        type: "response",
        id: typeof query.id === "number" ? query.id : 0,
        flags: AUTHORITATIVE,
        questions,
        answers: reply.answers.map(unicastSafe),
        additionals: reply.additionals.map(unicastSafe),
      },
      to: { address: from.address, port: from.port },
    };
  }

  /**
   * Re-reads the device name and the addresses. Returns the goodbyes to send
   * (for a renamed instance, for addresses gone) and whether anything changed,
   * in which case the service announces again.
   */
  update(): { goodbyes: MdnsPacket[]; changed: boolean } {
    const goodbyes: MdnsPacket[] = [];
    const label = this.#label();
    const renamed = label !== this.#instance;
    if (renamed) {
      const old = advertRecords(this.#advert(), 0);
      goodbyes.push({
        type: "response",
        flags: AUTHORITATIVE,
        answers: [old.answers[0], ...old.additionals.slice(0, 2)], // PTR, SRV, TXT
      });
      this.#o.log.info("device name changed; announcing the new instance name", {
        from: this.#instance,
        to: label,
      });
      this.#instance = label;
    }
    const next = this.#currentAddresses();
    const moved = next.join() !== this.#addresses.join();
    if (moved) {
      const gone = this.#addresses.filter((a) => !next.includes(a));
      if (gone.length > 0) {
        goodbyes.push({
          type: "response",
          flags: AUTHORITATIVE,
          answers: addressGoodbyes(this.#host, gone),
        });
      }
      this.#o.log.info("LAN addresses changed; announcing again", {
        addresses: next.join(" ") || "(none)",
      });
      this.#addresses = next;
    }
    return { goodbyes, changed: renamed || moved };
  }

  #advert(): Advertisement {
    return {
      instance: this.#instance,
      host: this.#host,
      port: this.#o.meshPort,
      txt: {
        peerId: this.#o.peerId,
        ed25519PublicKey: this.#o.ed25519PublicKey,
        x25519PublicKey: this.#o.x25519PublicKey,
        protocolVersion: this.#o.protocolVersion,
        meshPort: this.#o.meshPort,
      },
      addresses: this.#addresses,
    };
  }

  #label(): string {
    let name = "";
    try {
      name = this.#o.deviceName();
    } catch (e) {
      this.#o.log.debug("no device name for mDNS", { error: e });
    }
    return instanceLabel(name, this.#o.peerId);
  }

  #currentAddresses(): string[] {
    let list: readonly string[] = [];
    try {
      list = this.#o.addresses();
    } catch (e) {
      this.#o.log.debug("could not list network interfaces for mDNS", { error: e });
    }
    const ok = list.filter((a) =>
      !isLoopback(a) && !isLinkLocal(a) && (isIPv4(a) || /^[0-9a-f:]+$/i.test(a))
    );
    return [...new Set(ok)].sort();
  }
}
