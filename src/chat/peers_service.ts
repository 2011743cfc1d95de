/**
 * Peer management for the API and UI (SPEC §3, §6, §8): importing invites,
 * listing peers with their state, reconnecting, disconnecting, forgetting,
 * accepting or blocking contact requests.
 * @module
 */
import { decodeInvite } from "../identity/invite.ts";
import { fingerprintOf } from "../identity/fingerprint.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import type { DiscoveredPeer } from "../discovery/browser.ts";
import type { ConnectResult, Mesh } from "../mesh/mesh.ts";
import type { Peer } from "../mesh/peer_table.ts";
import { CanopyError } from "../util/errors.ts";
import type { EventBus } from "./events.ts";
import type { Card } from "./profiles.ts";

/** The guide's message for an import that could not connect. */
export const NOT_CONNECTED_MESSAGE = "Peer registered but could not connect to any endpoint.";

/** A peer as the API shows it. */
export interface PeerView {
  peer_id: string;
  name: string | null;
  display_name: string | null;
  device_name: string | null;
  avatar: string | null;
  trust: string;
  source: string;
  connected: boolean;
  state: "connected" | "disconnected" | "pending" | "blocked";
  direction: "outbound" | "inbound" | null;
  route: "direct" | "relay" | null;
  /** The relay a relayed peer is reached through. */
  via: string | null;
  endpoints: string[];
  fingerprint: string | null;
  introduced_by: string | null;
  auto_reconnect: boolean;
  last_seen: string | null;
  last_connected: string | null;
  last_error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A node announced on the LAN (src/discovery). Its keys come from a TXT
 * record: unverified until a handshake proves them.
 */
export type DiscoveredPeerInfo = DiscoveredPeer;

/** A discovered peer as `/p2p/peers` lists it (Canopy 0.4's four fields first). */
export interface DiscoveredView {
  peer_id: string;
  address: string;
  port: number;
  connected: boolean;
  name: string;
  endpoints: string[];
  last_seen: string;
  instance: string;
  protocol_version: number;
  /** False when the advertised Ed25519 key does not hash to the peer id (connecting will fail). */
  keys_match: boolean;
  /** Trust of the peer when it is already known, else null. */
  trust: string | null;
}

/** Options of `PeersService`. */
export interface PeersServiceOptions {
  readonly me: string;
  readonly mesh: Mesh;
  readonly events: EventBus;
  /** A peer's latest profile card, for names and avatars. */
  readonly cardOf?: (peerId: string) => Card | undefined;
  /** Peers discovered on the LAN (absent: discovery is off). */
  readonly discovered?: () => readonly DiscoveredPeerInfo[];
}

/** Application service over the mesh's peers. */
export class PeersService {
  constructor(private readonly o: PeersServiceOptions) {}

  view(peer: Peer): PeerView {
    const link = this.o.mesh.link(peer.peerId);
    const via = this.o.mesh.routeOf(peer.peerId);
    const state = peer.trust === "blocked"
      ? "blocked"
      : peer.trust === "pending"
      ? "pending"
      : link || via
      ? "connected"
      : "disconnected";
    const card = this.o.cardOf?.(peer.peerId);
    return {
      peer_id: peer.peerId,
      name: card?.user.display_name || peer.name,
      display_name: card?.user.display_name || null,
      device_name: card?.device.device_name || null,
      avatar: card?.user.avatar ?? card?.device.avatar ?? null,
      trust: peer.trust,
      source: peer.source,
      connected: link !== undefined || via !== undefined,
      state,
      direction: link ? (link.initiator ? "outbound" : "inbound") : null,
      route: link ? "direct" : via ? "relay" : null,
      via: link ? null : via ?? null,
      endpoints: [...peer.endpoints],
      fingerprint: peer.ed25519Key && peer.x25519Key
        ? fingerprintOf(peer.ed25519Key, peer.x25519Key)
        : null,
      introduced_by: peer.introducedBy,
      auto_reconnect: peer.autoConnect,
      last_seen: iso(link ? Date.now() : peer.lastSeenAt),
      last_connected: iso(peer.lastConnectedAt),
      last_error: peer.lastError,
    };
  }

  /** A LAN-discovered peer as the API shows it. */
  discoveredView(d: DiscoveredPeerInfo): DiscoveredView {
    return {
      peer_id: d.peerId,
      address: d.addresses[0] ?? "",
      port: d.port,
      connected: this.o.mesh.isConnected(d.peerId),
      name: d.name,
      endpoints: [...d.endpoints],
      last_seen: new Date(d.lastSeen).toISOString(),
      instance: d.instance,
      protocol_version: d.protocolVersion,
      keys_match: peerIdOf(d.ed25519PublicKey) === d.peerId,
      trust: this.o.mesh.peers.get(d.peerId)?.trust ?? null,
    };
  }

  /** `/p2p/peers` (a superset of Canopy 0.4's fields). */
  list(): Record<string, unknown> {
    const peers = this.o.mesh.peers.all().map((p) => this.view(p));
    const connected = peers.filter((p) => p.connected).map((p) => p.peer_id);
    const discovered = (this.o.discovered?.() ?? []).map((d) => this.discoveredView(d));
    return {
      connected_peers: connected,
      discovered_peers: discovered,
      total_connected: connected.length,
      total_discovered: discovered.length,
      peers,
      pending_requests: peers.filter((p) => p.trust === "pending").map((p) => p.peer_id),
    };
  }

  #known(peerId: unknown): Peer {
    const peer = typeof peerId === "string" ? this.o.mesh.peers.get(peerId) : undefined;
    if (!peer) {
      throw new CanopyError("not_found", `Unknown peer ${String(peerId)}`, { field: "peer_id" });
    }
    return peer;
  }

  /** Imports an invite and tries to connect (the guide's `/p2p/invite/import`). */
  async importInvite(code: unknown): Promise<Record<string, unknown>> {
    const invite = decodeInvite(code);
    if (invite.peerId === this.o.me) {
      throw new CanopyError("invalid_invite", "That is this node's own invite code", {
        field: "invite_code",
      });
    }
    const known = this.o.mesh.peers.get(invite.peerId);
    if (known?.trust === "blocked") {
      throw new CanopyError("conflict", `Peer ${invite.peerId} is blocked; unblock it first`, {
        field: "invite_code",
      });
    }
    const peers = this.o.mesh.peers;
    // Importing the invite of a pending contact request accepts it (and
    // tells the node, which then welcomes the live link: sync, cards, intros).
    if (known?.trust === "pending") this.o.mesh.accept(invite.peerId);
    const peer = peers.upsert(invite.peerId, {
      ed25519Key: invite.ed25519PublicKey,
      x25519Key: known?.bind ? undefined : invite.x25519PublicKey,
      trust: "accepted",
      source: known?.source === "inbound" || !known ? "invite" : known.source,
      autoConnect: true,
      name: invite.name ?? known?.name ?? undefined,
    });
    peers.addEndpoints(peer.peerId, invite.endpoints, true);
    this.o.events.publish("peer_updated", { peer: this.view(peer) });
    const result = await this.o.mesh.connect(peer.peerId, { manual: true });
    return this.#importResult(peer.peerId, [...invite.endpoints], result);
  }

  #importResult(
    peerId: string,
    endpoints: string[],
    result: ConnectResult,
  ): Record<string, unknown> {
    if (result.ok) {
      return {
        peer_id: peerId,
        endpoints,
        status: "connected",
        connected_endpoint: result.endpoint,
      };
    }
    return {
      peer_id: peerId,
      endpoints,
      status: "imported_not_connected",
      message: NOT_CONNECTED_MESSAGE,
      errors: result.attempts,
    };
  }

  /**
   * `/p2p/connect_discovered`: dials a peer found on the LAN (SPEC §7). Every
   * advertised endpoint is dialled expecting the advertised peer id AND keys,
   * so the handshake refuses a responder that is someone else, or a TXT
   * record whose keys do not belong to its peer id (PROTOCOL §2 step 3, §11).
   */
  async connectDiscovered(peerId: unknown): Promise<Record<string, unknown>> {
    // Announcements whose keys hash to their peer id go first: a forged copy
    // of a real node's announcement must not stand in the way of the real one.
    const keysMatch = (d: DiscoveredPeerInfo) => peerIdOf(d.ed25519PublicKey) === d.peerId;
    const found = typeof peerId === "string"
      ? (this.o.discovered?.() ?? []).filter((d) => d.peerId === peerId)
        .sort((a, b) => Number(keysMatch(b)) - Number(keysMatch(a)))
      : [];
    if (found.length === 0) {
      throw new CanopyError(
        "not_found",
        `No peer ${String(peerId)} has been discovered on the LAN`,
        { field: "peer_id" },
      );
    }
    const id = found[0].peerId;
    const before = this.o.mesh.peers.get(id);
    if (before?.trust === "blocked") {
      throw new CanopyError("conflict", `Peer ${id} is blocked; unblock it first`, {
        field: "peer_id",
      });
    }
    const endpoints = [...new Set(found.flatMap((d) => d.endpoints))];
    const attempts: { endpoint: string; error: string }[] = [];
    for (const d of found) {
      for (const endpoint of d.endpoints) {
        const live = this.o.mesh.isConnected(id) ? await this.o.mesh.connect(id) : undefined;
        const result = live ?? await this.o.mesh.dialEndpoint(endpoint, id, {
          ed25519: d.ed25519PublicKey,
          x25519: d.x25519PublicKey,
        });
        if (result.ok) {
          this.#markDiscovered(id, before?.source, d);
          return {
            peer_id: id,
            endpoints,
            status: "connected",
            connected_endpoint: result.endpoint,
          };
        }
        attempts.push({ endpoint, error: result.error });
      }
    }
    return {
      peer_id: id,
      endpoints,
      status: "not_connected",
      message: `Could not connect to the discovered peer (${
        attempts.map((a) => `${a.endpoint}: ${a.error}`).join("; ")
      })`,
      errors: attempts,
    };
  }

  /** After a successful connect: an explicit action accepts the peer and records where it came from. */
  #markDiscovered(id: string, sourceBefore: string | undefined, d: DiscoveredPeerInfo): void {
    const peer = this.o.mesh.peers.get(id);
    if (!peer) return;
    if (peer.trust === "pending") this.o.mesh.accept(id);
    const updated = this.o.mesh.peers.upsert(id, {
      source: sourceBefore === undefined || sourceBefore === "inbound" ? "discovered" : undefined,
      name: peer.name ?? d.name,
      autoConnect: true,
    });
    this.o.mesh.peers.addEndpoints(id, d.endpoints);
    this.o.events.publish("peer_updated", { peer: this.view(updated) });
  }

  /** `/p2p/reconnect`: dial now, backoff reset (SPEC §6). */
  async reconnect(peerId: unknown): Promise<Record<string, unknown>> {
    const peer = this.#known(peerId);
    if (peer.trust === "blocked") {
      throw new CanopyError("conflict", `Peer ${peer.peerId} is blocked`, { field: "peer_id" });
    }
    this.o.mesh.peers.upsert(peer.peerId, { autoConnect: true });
    const result = await this.o.mesh.connect(peer.peerId, { manual: true });
    return result.ok
      ? { peer_id: peer.peerId, status: "connected", connected_endpoint: result.endpoint }
      : {
        peer_id: peer.peerId,
        status: "not_connected",
        message: result.error,
        errors: result.attempts,
      };
  }

  /** `/p2p/reconnect_all`. */
  async reconnectAll(): Promise<Record<string, unknown>> {
    const results = await this.o.mesh.reconnectAll();
    return {
      results: results.map((r) =>
        r.ok
          ? { peer_id: r.peerId, status: "connected", connected_endpoint: r.endpoint }
          : { peer_id: r.peerId, status: "not_connected", message: r.error }
      ),
      connected: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).length,
    };
  }

  /** `/p2p/disconnect`: close the link and stop redialling. */
  disconnect(peerId: unknown): Record<string, unknown> {
    const peer = this.#known(peerId);
    this.o.mesh.disconnect(peer.peerId);
    return { peer_id: peer.peerId, status: "disconnected" };
  }

  /** `/p2p/forget`: remove the peer (its messages stay). */
  forget(peerId: unknown): Record<string, unknown> {
    const peer = this.#known(peerId);
    this.o.mesh.forget(peer.peerId);
    this.o.events.publish("peer_forgotten", { peer_id: peer.peerId });
    return { peer_id: peer.peerId, status: "forgotten" };
  }

  /** Accepts a pending contact request (or unblocks). */
  accept(peerId: unknown): PeerView {
    const peer = this.o.mesh.accept(this.#known(peerId).peerId)!;
    if (!this.o.mesh.isConnected(peer.peerId)) {
      void this.o.mesh.connect(peer.peerId, { manual: true });
    }
    return this.view(peer);
  }

  /** Blocks a peer. */
  block(peerId: unknown): PeerView {
    return this.view(this.o.mesh.block(this.#known(peerId).peerId));
  }
}
