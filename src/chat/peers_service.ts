/**
 * Peer management for the API and UI (SPEC §3, §6, §8): importing invites,
 * listing peers with their state, reconnecting, disconnecting, forgetting,
 * accepting or blocking contact requests.
 * @module
 */
import { decodeInvite } from "../identity/invite.ts";
import { fingerprintOf } from "../identity/fingerprint.ts";
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
  route: "direct" | null;
  endpoints: string[];
  fingerprint: string | null;
  introduced_by: string | null;
  auto_reconnect: boolean;
  last_seen: string | null;
  last_connected: string | null;
  last_error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Options of `PeersService`. */
export interface PeersServiceOptions {
  readonly me: string;
  readonly mesh: Mesh;
  readonly events: EventBus;
  /** A peer's latest profile card, for names and avatars. */
  readonly cardOf?: (peerId: string) => Card | undefined;
}

/** Application service over the mesh's peers. */
export class PeersService {
  constructor(private readonly o: PeersServiceOptions) {}

  view(peer: Peer): PeerView {
    const link = this.o.mesh.link(peer.peerId);
    const state = peer.trust === "blocked"
      ? "blocked"
      : peer.trust === "pending"
      ? "pending"
      : link
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
      connected: link !== undefined,
      state,
      direction: link ? (link.initiator ? "outbound" : "inbound") : null,
      route: link ? "direct" : null,
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

  /** `/p2p/peers` (a superset of Canopy 0.4's fields). */
  list(): Record<string, unknown> {
    const peers = this.o.mesh.peers.all().map((p) => this.view(p));
    const connected = peers.filter((p) => p.connected).map((p) => p.peer_id);
    return {
      connected_peers: connected,
      discovered_peers: [],
      total_connected: connected.length,
      total_discovered: 0,
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
