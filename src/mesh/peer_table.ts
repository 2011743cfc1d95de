/**
 * Every peer this node knows, with keys, endpoints and trust, kept in memory
 * and written through to a `PeerStore` (the store's peers table). Bounded:
 * past `MAX_PEERS`, the longest-unseen non-accepted peers are evicted.
 * @module
 */
import { equalBytes } from "../util/bytes.ts";
import type { PeerRow, Trust } from "../store/peers_repo.ts";

/** Most peers remembered. */
export const MAX_PEERS = 10_000;

/** A known peer: the peers table's row, kept in memory. */
export type Peer = PeerRow;
export type { Trust };

/** Persistence the table writes through to (implemented by src/store/peers_repo.ts). */
export interface PeerStore {
  all(): Peer[];
  save(peer: Peer): void;
  delete(peerId: string): boolean;
}

/** The in-memory peer table. */
export class PeerTable {
  readonly #peers = new Map<string, Peer>();

  constructor(private readonly store: PeerStore, private readonly now: () => number = Date.now) {
    for (const p of store.all()) this.#peers.set(p.peerId, p);
  }

  get(peerId: string): Peer | undefined {
    return this.#peers.get(peerId);
  }

  all(): Peer[] {
    return [...this.#peers.values()];
  }

  /** Creates or updates a peer, merging what is new; returns it. */
  upsert(peerId: string, update: Partial<Omit<Peer, "peerId" | "addedAt">>): Peer {
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = {
        peerId,
        ed25519Key: null,
        x25519Key: null,
        bind: null,
        endpoints: [],
        trust: "pending",
        source: "inbound",
        name: null,
        introducedBy: null,
        autoConnect: true,
        addedAt: this.now(),
        lastSeenAt: null,
        lastConnectedAt: null,
        lastEndpoint: null,
        lastError: null,
      };
      this.#evictIfFull();
      this.#peers.set(peerId, peer);
    }
    for (const [k, v] of Object.entries(update)) {
      if (v !== undefined) (peer as unknown as Record<string, unknown>)[k] = v;
    }
    this.store.save(peer);
    return peer;
  }

  /** Adds endpoints (most recent first) without duplicates, keeping at most 16. */
  addEndpoints(peerId: string, endpoints: readonly string[], first = false): void {
    const peer = this.#peers.get(peerId);
    if (!peer || endpoints.length === 0) return;
    const merged = first
      ? [...endpoints, ...peer.endpoints.filter((e) => !endpoints.includes(e))]
      : [...peer.endpoints, ...endpoints.filter((e) => !peer.endpoints.includes(e))];
    if (merged.join() === peer.endpoints.join()) return;
    this.upsert(peerId, { endpoints: merged.slice(0, 16) });
  }

  /**
   * True when `keys` agree with what is known about the peer (or nothing is
   * known yet). Keys never change for a peer id.
   */
  keysMatch(peerId: string, ed25519: Uint8Array, x25519?: Uint8Array): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer) return true;
    if (peer.ed25519Key && !equalBytes(peer.ed25519Key, ed25519)) return false;
    // An X25519 key is only binding once proven (a handshake or signed introduction
    // set `bind`); one copied from an invite may be corrupt and is replaced.
    if (x25519 && peer.bind && peer.x25519Key && !equalBytes(peer.x25519Key, x25519)) return false;
    return true;
  }

  delete(peerId: string): boolean {
    this.store.delete(peerId);
    return this.#peers.delete(peerId);
  }

  #evictIfFull(): void {
    if (this.#peers.size < MAX_PEERS) return;
    let victim: Peer | undefined;
    for (const p of this.#peers.values()) {
      if (p.trust === "accepted") continue;
      if (!victim || (p.lastSeenAt ?? p.addedAt) < (victim.lastSeenAt ?? victim.addedAt)) {
        victim = p;
      }
    }
    if (victim) this.delete(victim.peerId);
  }
}
