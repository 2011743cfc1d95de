/**
 * The browsing half of LAN discovery (PROTOCOL §11): turns the
 * `_canopy._tcp` records heard on the LAN into the list of discovered nodes
 * through the TTL cache, and says which nodes appeared, changed or went.
 * No socket and no timers: the service feeds it packets and ticks, and sends
 * the queries it asks for.
 * @module
 */
import { RecordCache } from "./cache.ts";
import {
  canonicalName,
  endpointOf,
  isIPv4,
  type MdnsPacket,
  type MdnsRecord,
  SERVICE_TYPE,
  type ServiceRecord,
  serviceRecordsOf,
} from "./records.ts";

/** Least time between two resolve queries for one incomplete instance (ms). */
export const RESOLVE_INTERVAL_MS = 2_000;
/** Most incomplete instances resolved per sweep. */
export const MAX_RESOLVES_PER_SWEEP = 8;
/** Most foreign instances remembered as announcing our own peer id (then ignored). */
export const MAX_OWN_ELSEWHERE = 64;
/** Most known answers listed in a browse query. */
export const MAX_KNOWN_ANSWERS = 32;

/** Another node as its announcement describes it (keys not yet verified). */
export interface DiscoveredPeer {
  /** Canonical instance name (lower case), unique per announcement. */
  readonly instance: string;
  /** Instance label as announced: the device name and a peer id prefix. */
  readonly name: string;
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  readonly protocolVersion: number;
  /** Mesh port (from the SRV record). */
  readonly port: number;
  /** Addresses, the one the announcement came from first. */
  readonly addresses: readonly string[];
  /** `ws://address:port` for each address. */
  readonly endpoints: readonly string[];
  /** When a record of this instance was last received (ms). */
  readonly lastSeen: number;
}

/** Why a discovered peer went away. */
export type LostReason = "goodbye" | "expired";

/** A change in the list of discovered peers. */
export type PeerChange =
  | { readonly kind: "found"; readonly peer: DiscoveredPeer; readonly change: "new" | "updated" }
  | { readonly kind: "lost"; readonly peer: DiscoveredPeer; readonly reason: LostReason };

/** Options of `ServiceBrowser`. */
export interface BrowserOptions {
  /** This node's peer id: announcements carrying it are never listed. */
  readonly peerId: string;
  /** This node's own instance and host names (canonical), skipped when heard. */
  readonly ownNames: () => { instance: string; host: string };
  /** Counts an event by name (malformed records and the like). */
  readonly count: (what: string) => void;
}

type Cached = ServiceRecord & { readonly source: string };

const PTR_GROUP = "ptr";
const isLoopback = (a: string) => a.startsWith("127.") || a === "::1";
const isLinkLocal = (a: string) => a.startsWith("169.254.") || a.toLowerCase().startsWith("fe80:");

function keyOf(r: ServiceRecord): { key: string; group: string } {
  switch (r.kind) {
    case "ptr":
      return { key: `ptr|${r.instance}`, group: PTR_GROUP };
    case "srv":
      return { key: `srv|${r.instance}|${r.target}|${r.port}`, group: `srv|${r.instance}` };
    case "txt": {
      const t = r.txt;
      const data = [t.peerId, ...t.ed25519PublicKey, "|", ...t.x25519PublicKey, t.protocolVersion];
      return {
        key: `txt|${r.instance}|${data.join(",")}|${t.meshPort}`,
        group: `txt|${r.instance}`,
      };
    }
    case "addr":
      return { key: `addr|${r.host}|${r.address}`, group: `addr|${r.host}` };
  }
}

function signature(p: DiscoveredPeer): string {
  return JSON.stringify([
    p.peerId,
    [...p.ed25519PublicKey],
    [...p.x25519PublicKey],
    p.protocolVersion,
    p.port,
    p.addresses,
    p.name,
  ]);
}

/** The discovered side of one node's mDNS. */
export class ServiceBrowser {
  readonly #o: BrowserOptions;
  readonly #cache = new RecordCache<Cached>();
  readonly #peers = new Map<string, DiscoveredPeer>();
  readonly #lastSeen = new Map<string, number>();
  readonly #lastResolve = new Map<string, number>();
  readonly #ownElsewhere = new Set<string>();

  constructor(options: BrowserOptions) {
    this.#o = options;
  }

  /** The nodes currently discovered. */
  peers(): DiscoveredPeer[] {
    return [...this.#peers.values()].map((p) => ({
      ...p,
      lastSeen: this.#lastSeen.get(p.instance) ?? p.lastSeen,
    }));
  }

  /** Number of discovered nodes. */
  get size(): number {
    return this.#peers.size;
  }

  /** Number of cached records. */
  get records(): number {
    return this.#cache.size;
  }

  /** The browse query, listing the PTRs held with more than half their TTL left (RFC 6762 §7.1). */
  query(now: number): MdnsPacket {
    const known: MdnsRecord[] = [];
    for (const e of this.#cache.group(PTR_GROUP, now)) {
      const p = e.value;
      if (p.kind !== "ptr") continue;
      const left = this.#cache.remaining(e.key, now);
      if (left > p.ttl / 2) {
        known.push({ name: SERVICE_TYPE, type: "PTR", ttl: left, data: p.instance });
      }
    }
    return {
      type: "query",
      questions: [{ name: SERVICE_TYPE, type: "PTR" }],
      answers: known.slice(0, MAX_KNOWN_ANSWERS),
    };
  }

  /** Takes in a response heard on the LAN; returns what changed. */
  receive(packet: MdnsPacket, from: { address: string }, now: number): PeerChange[] {
    const { records, malformed } = serviceRecordsOf(packet);
    for (const reason of malformed) this.#o.count(`malformed_${reason}`);
    if (records.length === 0) return [];
    const own = this.#o.ownNames();
    for (const r of records) {
      // Another instance with our identity (a copied data folder, or a spoof): never listed.
      if (r.kind === "txt" && r.txt.peerId === this.#o.peerId && r.instance !== own.instance) {
        if (r.ttl > 0) this.#o.count("own_peer_id_elsewhere");
        if (this.#ownElsewhere.size < MAX_OWN_ELSEWHERE) this.#ownElsewhere.add(r.instance);
      }
    }
    // Address records matter only for hosts some SRV points at.
    const targets = new Set<string>();
    for (const r of records) if (r.kind === "srv") targets.add(r.target);
    for (const e of this.#cache.entries(now)) {
      if (e.value.kind === "srv") targets.add(e.value.target);
    }
    const relevant = records.filter((r) => {
      if (r.kind === "addr") return r.host !== own.host && targets.has(r.host);
      return r.instance !== own.instance && !this.#ownElsewhere.has(r.instance);
    });
    const keys = relevant.map(keyOf);
    // RFC 6762 §10.2: a cache-flush record replaces the older records of its name and type.
    const flushGroups = new Map<string, Set<string>>();
    relevant.forEach((r, i) => {
      if (r.kind !== "ptr" && r.flush && r.ttl > 0) {
        const set = flushGroups.get(keys[i].group) ?? new Set<string>();
        set.add(keys[i].key);
        flushGroups.set(keys[i].group, set);
      }
    });
    for (const [group, keep] of flushGroups) this.#cache.flush(group, now, keep);
    let goodbye = false;
    relevant.forEach((r, i) => {
      const value = { ...r, source: from.address };
      const outcome = this.#cache.put(keys[i].key, keys[i].group, value, r.ttl, now);
      if (outcome === "full") this.#o.count("cache_full");
      if (outcome === "removed") goodbye = true;
      if (r.ttl > 0 && r.kind !== "addr") this.#lastSeen.set(r.instance, now);
    });
    return this.#reconcile(goodbye ? "goodbye" : "expired", now).changes;
  }

  /**
   * Drops expired records; returns what changed and the resolve queries to
   * send for instances known only by their PTR (RFC 6763 §12).
   */
  sweep(now: number): { changes: PeerChange[]; queries: MdnsPacket[] } {
    const gone = this.#cache.sweep(now);
    const { changes, incomplete } = gone.length > 0
      ? this.#reconcile("expired", now)
      : { changes: [], incomplete: this.#incomplete(now) };
    return { changes, queries: this.#resolve(incomplete, now) };
  }

  /** Forgets everything. */
  clear(): void {
    this.#cache.clear();
    this.#peers.clear();
    this.#lastSeen.clear();
    this.#lastResolve.clear();
  }

  /** Rebuilds the peer list from the cache and says what changed. */
  #reconcile(reason: LostReason, now: number): { changes: PeerChange[]; incomplete: string[] } {
    const next = new Map<string, DiscoveredPeer>();
    const incomplete: string[] = [];
    for (const ptr of this.#cache.group(PTR_GROUP, now)) {
      const p = ptr.value;
      if (p.kind !== "ptr") continue;
      const srv = this.#cache.group(`srv|${p.instance}`, now)[0]?.value;
      const txt = this.#cache.group(`txt|${p.instance}`, now)[0]?.value;
      if (srv?.kind !== "srv" || txt?.kind !== "txt") {
        incomplete.push(p.instance);
        continue;
      }
      const addresses = this.#addressesOf(srv.target, srv.source, now);
      next.set(p.instance, {
        instance: p.instance,
        name: p.label,
        peerId: txt.txt.peerId,
        ed25519PublicKey: txt.txt.ed25519PublicKey,
        x25519PublicKey: txt.txt.x25519PublicKey,
        protocolVersion: txt.txt.protocolVersion,
        port: srv.port,
        addresses,
        endpoints: addresses.map((a) => endpointOf(a, srv.port)),
        lastSeen: this.#lastSeen.get(p.instance) ?? now,
      });
    }
    const changes: PeerChange[] = [];
    for (const p of this.#peers.values()) {
      if (next.has(p.instance)) continue;
      this.#lastSeen.delete(p.instance);
      changes.push({ kind: "lost", peer: p, reason });
    }
    for (const [instance, peer] of next) {
      const prev = this.#peers.get(instance);
      if (!prev) changes.push({ kind: "found", peer, change: "new" });
      else if (signature(prev) !== signature(peer)) {
        changes.push({ kind: "found", peer, change: "updated" });
      }
    }
    this.#peers.clear();
    for (const [k, v] of next) this.#peers.set(k, v);
    return { changes, incomplete };
  }

  /**
   * A host's addresses: the packet's source first when the host lists it, then
   * the listed ones (IPv4 first), then the source when it is not listed (it is
   * where the announcement really came from). Loopback only from loopback.
   */
  #addressesOf(target: string, source: string, now: number): string[] {
    const listed = this.#cache.group(`addr|${target}`, now)
      .map((e) => (e.value.kind === "addr" ? e.value.address : ""))
      .filter((a) => a !== "" && (!isLoopback(a) || isLoopback(source)) && !isLinkLocal(a));
    const unique = [...new Set(listed)];
    unique.sort((a, b) => (isIPv4(a) === isIPv4(b) ? 0 : isIPv4(a) ? -1 : 1));
    if (unique.includes(source)) return [source, ...unique.filter((a) => a !== source)];
    return [...unique, source];
  }

  #incomplete(now: number): string[] {
    return this.#cache.group(PTR_GROUP, now).flatMap((e) => {
      const i = e.value.kind === "ptr" ? e.value.instance : "";
      return this.#peers.has(i) ? [] : [i];
    });
  }

  #resolve(instances: string[], now: number): MdnsPacket[] {
    for (const i of [...this.#lastResolve.keys()]) {
      if (!instances.includes(i)) this.#lastResolve.delete(i);
    }
    const queries: MdnsPacket[] = [];
    for (const instance of instances) {
      if (queries.length >= MAX_RESOLVES_PER_SWEEP) break;
      const last = this.#lastResolve.get(instance);
      if (last !== undefined && now - last < RESOLVE_INTERVAL_MS) continue;
      this.#lastResolve.set(instance, now);
      const name = canonicalName(instance);
      queries.push({
        type: "query",
        questions: [{ name, type: "SRV" }, { name, type: "TXT" }],
      });
    }
    return queries;
  }
}
