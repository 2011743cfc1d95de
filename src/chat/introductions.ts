/**
 * Peer introductions (SPEC §6, PROTOCOL §4.3 kind 7): when a peer links to
 * this node, it is announced to the node's other accepted peers, and they to
 * it. An introduction carries the peer's keys with its binding signature, so
 * receivers check the keys against the peer id before storing anything (a
 * fix over Canopy 0.4). Introduced peers are listed with a Connect action;
 * they are not dialled until someone asks.
 * @module
 */
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { isEndpoint } from "../identity/invite.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { verifyBinding } from "../mesh/handshake.ts";
import type { Link } from "../mesh/link.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { Counters } from "../mesh/counters.ts";
import { type Envelope, INTRO_STREAM, Kind } from "../mesh/wire/envelope.ts";
import type { Author } from "./author.ts";
import type { EventBus } from "./events.ts";
import type { EnvelopeRouter } from "./router.ts";

/** What introductions need from the mesh. */
export interface IntroMesh {
  links(): Link[];
  isConnected(peerId: string): boolean;
  peers: {
    get(peerId: string): Peer | undefined;
    all(): Peer[];
    upsert(peerId: string, update: Partial<Peer>): Peer;
    addEndpoints(peerId: string, endpoints: readonly string[]): void;
  };
}

/** An introduced peer as the API shows it. */
export interface IntroducedView {
  peer_id: string;
  name: string | null;
  display_name: string | null;
  device_name: string | null;
  endpoints: string[];
  introduced_by: string | null;
  introduced_by_name: string | null;
  connected: boolean;
  route: "direct" | "relay" | null;
  via: string | null;
}

/** Options of `Introductions`. */
export interface IntroductionsOptions {
  readonly me: string;
  readonly author: Author;
  readonly mesh: IntroMesh;
  readonly counters: Counters;
  readonly events: EventBus;
  readonly now: () => number;
  /** False under relay policy `off`: this node then introduces nobody. */
  readonly assists: () => boolean;
  readonly nameOf: (peerId: string) => { display: string | null; device: string | null };
  readonly routeOf: (peerId: string) => string | undefined;
}

/** Sends and receives introductions. */
export class Introductions {
  #seq = 0;

  constructor(private readonly o: IntroductionsOptions) {}

  register(router: EnvelopeRouter): void {
    router.on(Kind.Introduction, (env, from) => this.receive(env, from));
  }

  /** A link to an accepted peer came up: introduce both ways. */
  async linkUp(link: Link): Promise<void> {
    if (!this.o.assists()) return;
    const others = this.o.mesh.links().filter((l) =>
      l !== link && l.peerId !== link.peerId &&
      this.o.mesh.peers.get(l.peerId)?.trust === "accepted"
    );
    const newcomer = await this.#intro(link.peerId);
    for (const other of others) {
      if (newcomer) other.send(newcomer);
      const known = await this.#intro(other.peerId);
      if (known) link.send(known);
    }
  }

  async #intro(peerId: string): Promise<Uint8Array | undefined> {
    const peer = this.o.mesh.peers.get(peerId);
    if (!peer?.ed25519Key || !peer.x25519Key || !peer.bind) return undefined;
    const names = this.o.nameOf(peerId);
    const body = {
      peer_id: peerId,
      epk: toBase64Url(peer.ed25519Key),
      xpk: toBase64Url(peer.x25519Key),
      bind: toBase64Url(peer.bind),
      endpoints: peer.endpoints.slice(0, 16),
      name: names.display ?? peer.name ?? undefined,
      device_name: names.device ?? undefined,
    };
    this.#seq = Math.max(this.#seq + 1, this.o.now());
    const env = await this.o.author.sign({
      kind: Kind.Introduction,
      stream: INTRO_STREAM,
      body: utf8(JSON.stringify(body)),
      seq: this.#seq,
      ttl: 1,
    });
    return env.bytes;
  }

  /** Stores an introduction from the peer that sent it, after checking its keys. */
  async receive(env: Envelope, from: Peer): Promise<"new" | "duplicate" | "rejected"> {
    if (env.origin !== from.peerId || from.trust !== "accepted") {
      this.o.counters.count("intro_refused");
      return "rejected";
    }
    let body: Record<string, unknown>;
    let epk: Uint8Array;
    let xpk: Uint8Array;
    let bind: Uint8Array;
    try {
      body = JSON.parse(fromUtf8(env.body));
      epk = fromBase64Url(String(body.epk));
      xpk = fromBase64Url(String(body.xpk));
      bind = fromBase64Url(String(body.bind));
    } catch {
      this.o.counters.count("bad_content");
      return "rejected";
    }
    const peerId = body.peer_id;
    if (
      typeof peerId !== "string" || epk.length !== 32 || xpk.length !== 32 || bind.length !== 64 ||
      peerIdOf(epk) !== peerId || !(await verifyBinding(epk, xpk, bind))
    ) {
      this.o.counters.count("intro_key_mismatch");
      return "rejected";
    }
    if (peerId === this.o.me) return "duplicate";
    const endpoints = Array.isArray(body.endpoints)
      ? body.endpoints.filter((e): e is string =>
        typeof e === "string" && e.length <= 300 && isEndpoint(e)
      )
        .slice(0, 16)
      : [];
    const known = this.o.mesh.peers.get(peerId);
    if (known && known.bind && (!equal(known.ed25519Key, epk) || !equal(known.x25519Key, xpk))) {
      this.o.counters.count("intro_key_mismatch");
      return "rejected";
    }
    const name = typeof body.name === "string" ? body.name.slice(0, 64) : undefined;
    if (!known) {
      this.o.mesh.peers.upsert(peerId, {
        ed25519Key: epk,
        x25519Key: xpk,
        bind,
        endpoints,
        trust: "accepted",
        source: "introduced",
        introducedBy: from.peerId,
        autoConnect: false,
        name,
      });
    } else {
      this.o.mesh.peers.upsert(peerId, {
        ed25519Key: epk,
        x25519Key: xpk,
        bind,
        // A peer we already know by other means (an invite, a dial) does not become "introduced".
        introducedBy: known.introducedBy ??
          (known.source === "introduced" ? from.peerId : undefined),
        name: known.name ?? name,
      });
      this.o.mesh.peers.addEndpoints(peerId, endpoints);
    }
    this.o.events.publish("peer_introduced", { peer_id: peerId, introduced_by: from.peerId });
    return "new";
  }

  /** Peers learnt through introductions (or brokering), with their introducer. */
  list(): IntroducedView[] {
    return this.o.mesh.peers.all()
      .filter((p) => p.introducedBy !== null && p.trust !== "blocked")
      .map((p) => {
        const names = this.o.nameOf(p.peerId);
        const via = this.o.routeOf(p.peerId) ?? null;
        const connected = this.o.mesh.isConnected(p.peerId);
        return {
          peer_id: p.peerId,
          name: names.display ?? p.name,
          display_name: names.display,
          device_name: names.device,
          endpoints: [...p.endpoints],
          introduced_by: p.introducedBy,
          introduced_by_name: p.introducedBy ? this.o.nameOf(p.introducedBy).display : null,
          connected,
          route: connected ? "direct" : via ? "relay" : null,
          via,
        };
      });
  }
}

function equal(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}
