/**
 * The mesh façade: the listener, the links (one per peer, PROTOCOL §10),
 * dialing and reconnecting with backoff (SPEC §6), trust decisions at the
 * handshake, and the receive pipeline of envelopes (PROTOCOL §4.4) with
 * flooding. It knows nothing of HTTP, SQL or the UI: storage and meaning
 * come in through `EnvelopeSink` and `PeerStore`.
 * @module
 */
import type { Logger } from "../util/log.ts";
import { backoffDelay, type BackoffOptions } from "../util/backoff.ts";
import { CloseCode } from "./close_codes.ts";
import { Counters } from "./counters.ts";
import {
  type HandshakeError,
  type HandshakeOptions,
  type HandshakeResult,
  initiate,
  type LocalIdentity,
  respond,
} from "./handshake.ts";
import { Link, type LinkHandler, type LinkOptions } from "./link.ts";
import { type Peer, type PeerStore, PeerTable } from "./peer_table.ts";
import type { CloseInfo, FrameConn } from "./transport.ts";
import {
  decodeEnvelope,
  type Envelope,
  isKnownKind,
  Kind,
  type SignatureVerifier,
  streamFitsKind,
  verifyEnvelope,
  withTtl,
} from "./wire/envelope.ts";
import type { ControlMessage } from "./wire/frame.ts";
import { Relay, type RelayPolicyName } from "./relay.ts";
import type { SealCache } from "./seal_cache.ts";

/** Per-endpoint dial deadline (ms). */
export const DIAL_TIMEOUT_MS = 5_000;
/** Longest wait between direct attempts to a peer reached through a relay (ms). */
export const RELAY_DIRECT_RETRY_MS = 10_000;
/** Frames a link may have waiting for window room before floods wait. */
export const MAX_LINK_QUEUE = 1024;

/** How the mesh opens and accepts connections (the WebSocket adapter, or memory in tests). */
export interface MeshTransport {
  listen(options: {
    hostname: string;
    port: number;
    onConnection: (conn: FrameConn) => void;
  }): {
    hostname: string;
    port: number;
    close(): Promise<void>;
    /** Connections turned away before the handshake, by reason. */
    readonly drops?: Readonly<Record<string, number>>;
  };
  dial(url: string, options: { timeoutMs: number }): Promise<FrameConn>;
}

/** Where verified envelopes go (the chat services). */
export interface EnvelopeSink {
  /** Stores a verified envelope; "new" when it was not held before. Never rejects. */
  receive(env: Envelope, from: Peer): Promise<"new" | "duplicate" | "rejected">;
}

/** Things the node wants to hear about (events, outbox flushing). */
export interface MeshObserver {
  onPeerConnected?(peer: Peer, link: Link): void;
  onPeerDisconnected?(peer: Peer, info: CloseInfo, link: Link): void;
  onPeerPending?(peer: Peer): void;
  onPeerChanged?(peer: Peer): void;
  /** A relay route to `peerId` appeared (`via` set) or ended (`via` null). */
  onRouteChange?(peerId: string, via: string | null, reason: string): void;
}

/** Options of `Mesh`. */
export interface MeshOptions {
  readonly identity: LocalIdentity;
  readonly transport: MeshTransport;
  readonly peerStore: PeerStore;
  readonly sink: EnvelopeSink;
  readonly log: Logger;
  readonly observer?: MeshObserver;
  readonly counters?: Counters;
  readonly now?: () => number;
  readonly linkOptions?: LinkOptions;
  readonly backoff?: BackoffOptions;
  readonly dialTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** Seals and opens relayed frames (PROTOCOL §7.5). */
  readonly relaySeal?: SealCache;
  /** The current relay policy (SPEC §6). Default: broker_only. */
  readonly relayPolicy?: () => RelayPolicyName;
  /** Checks envelope signatures (default: on the calling thread). */
  readonly verify?: SignatureVerifier;
}

/** Outcome of a connection attempt. */
export type ConnectResult =
  | { ok: true; endpoint: string; peerId: string; already?: boolean }
  | { ok: false; error: string; attempts: { endpoint: string; error: string }[]; peerId?: string };

/** Handles CONTROL messages of one type `t` (PROTOCOL §7). */
export type ControlHandler = (link: Link, message: ControlMessage) => void;

const FLOOD_KINDS = new Set<number>([
  Kind.Broadcast,
  Kind.ChannelPost,
  Kind.ChannelMeta,
  Kind.ProfileCard,
  Kind.Introduction,
]);

interface RetryState {
  attempt: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** The mesh of one node. */
export class Mesh implements LinkHandler {
  readonly peers: PeerTable;
  readonly counters: Counters;
  readonly #o: MeshOptions;
  readonly #now: () => number;
  readonly #links = new Map<string, Link>();
  readonly #all = new Set<Link>();
  readonly #pendingConns = new Set<FrameConn>();
  readonly #dialing = new Map<string, Promise<ConnectResult>>();
  readonly #retries = new Map<string, RetryState>();
  readonly #controls = new Map<string, ControlHandler>();
  #listener?: ReturnType<MeshTransport["listen"]>;
  #closed = false;
  /** Relay routes and relaying (undefined without a `relaySeal`). */
  readonly relay?: Relay;

  constructor(options: MeshOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.counters = options.counters ?? new Counters();
    this.peers = new PeerTable(options.peerStore, this.#now);
    if (options.relaySeal) {
      const relay = new Relay(
        {
          me: options.identity.peerId,
          link: (id) => this.link(id),
          x25519Of: (id) => this.peers.get(id)?.x25519Key ?? undefined,
          deliver: (from, bytes) => this.#deliverRelayed(from, bytes),
          counters: this.counters,
          log: options.log,
          now: this.#now,
          onRouteChange: (peer, via, reason) => {
            options.log.info(via ? "relay route added" : "relay route removed", {
              peer,
              via,
              reason,
            });
            if (via) this.#scheduleRetry(peer);
            options.observer?.onRouteChange?.(peer, via, reason);
          },
        },
        options.relaySeal,
        options.relayPolicy ?? (() => "broker_only"),
      );
      this.relay = relay;
      for (const t of ["relay_offer", "route_withdraw"]) {
        this.handleControl(t, (link, m) => relay.onControl(link, m));
      }
    }
  }

  get peerId(): string {
    return this.#o.identity.peerId;
  }

  /** Starts accepting links. Throws `Deno.errors.AddrInUse` for a busy port. */
  listen(hostname: string, port: number): { hostname: string; port: number } {
    this.#listener = this.#o.transport.listen({
      hostname,
      port,
      onConnection: (conn) => void this.#accept(conn),
    });
    return { hostname: this.#listener.hostname, port: this.#listener.port };
  }

  /** Dials every accepted peer that wants it (SPEC §6: known peers are redialled at startup). */
  start(): void {
    for (const peer of this.peers.all()) {
      if (peer.trust === "accepted" && peer.autoConnect && peer.endpoints.length > 0) {
        void this.connect(peer.peerId);
      }
    }
  }

  /** Registers the handler of a CONTROL type. */
  handleControl(type: string, handler: ControlHandler): void {
    this.#controls.set(type, handler);
  }

  /** The live link to a peer, if any. */
  link(peerId: string): Link | undefined {
    const link = this.#links.get(peerId);
    return link && !link.isClosed ? link : undefined;
  }

  /** Every live link. */
  links(): Link[] {
    return [...this.#links.values()].filter((l) => !l.isClosed);
  }

  isConnected(peerId: string): boolean {
    return this.link(peerId) !== undefined;
  }

  /** True when a peer can be sent to: a direct link or a relay route. */
  isReachable(peerId: string): boolean {
    return this.isConnected(peerId) || (this.relay?.routes.has(peerId) === true &&
      this.isConnected(this.relay.routes.get(peerId)!));
  }

  /** The relay a peer is reached through, if it is not linked directly. */
  routeOf(peerId: string): string | undefined {
    return this.isConnected(peerId) ? undefined : this.relay?.routes.get(peerId);
  }

  /** Live links to accepted peers (the ones floods go to). */
  acceptedLinkCount(): number {
    return this.links().filter((l) => this.peers.get(l.peerId)?.trust === "accepted").length;
  }

  // ---- connecting ---------------------------------------------------------------------------

  /**
   * Connects to a known peer, trying its endpoints in order. Concurrent calls
   * share one attempt. `manual` resets the backoff (SPEC §6).
   */
  connect(peerId: string, { manual = false } = {}): Promise<ConnectResult> {
    if (manual) this.#clearRetry(peerId, true);
    const live = this.link(peerId);
    if (live) {
      return Promise.resolve({ ok: true, endpoint: this.#endpointOf(live), peerId, already: true });
    }
    let attempt = this.#dialing.get(peerId);
    if (!attempt) {
      attempt = this.#dialPeer(peerId).finally(() => this.#dialing.delete(peerId));
      this.#dialing.set(peerId, attempt);
    }
    return attempt;
  }

  async #dialPeer(peerId: string): Promise<ConnectResult> {
    const peer = this.peers.get(peerId);
    if (!peer) return { ok: false, error: "unknown peer", attempts: [], peerId };
    if (peer.trust === "blocked") {
      return { ok: false, error: "peer is blocked", attempts: [], peerId };
    }
    const attempts: { endpoint: string; error: string }[] = [];
    for (const endpoint of peer.endpoints) {
      if (this.#closed) break;
      const result = await this.dialEndpoint(endpoint, peerId);
      if (result.ok) return result;
      attempts.push({ endpoint, error: result.error });
      if (this.link(peerId)) {
        return { ok: true, endpoint: this.#endpointOf(this.link(peerId)!), peerId, already: true };
      }
    }
    const error = attempts.length === 0
      ? "the peer has no endpoints"
      : `could not connect to any endpoint (${
        attempts.map((a) => `${a.endpoint}: ${a.error}`).join("; ")
      })`;
    if (this.peers.get(peerId)) this.peers.upsert(peerId, { lastError: error });
    this.#scheduleRetry(peerId);
    return { ok: false, error, attempts, peerId };
  }

  /**
   * Dials one endpoint. With `expectedPeerId` the responder must be that
   * peer (PROTOCOL §2 step 3); without it (discovery), whoever answers is
   * recorded. The peer becomes accepted: dialling is an explicit action.
   * With `expectedKeys` (from an mDNS advertisement) the responder must also
   * present exactly those keys, or the handshake is refused.
   */
  async dialEndpoint(
    endpoint: string,
    expectedPeerId?: string,
    expectedKeys?: HandshakeOptions["expectedKeys"],
  ): Promise<ConnectResult> {
    let conn: FrameConn;
    try {
      conn = await this.#o.transport.dial(endpoint, {
        timeoutMs: this.#o.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      });
    } catch (e) {
      return { ok: false, error: (e as Error).message, attempts: [], peerId: expectedPeerId };
    }
    if (this.#closed) {
      conn.close(CloseCode.GoingAway, "shutting down");
      return { ok: false, error: "mesh closed", attempts: [] };
    }
    this.#pendingConns.add(conn);
    let result: HandshakeResult;
    try {
      result = await initiate(conn, this.#o.identity, {
        expectedPeerId,
        expectedKeys,
        timeoutMs: this.#o.handshakeTimeoutMs,
      });
    } catch (e) {
      const err = e as HandshakeError;
      this.counters.count(`handshake_${err.failure ?? "error"}`);
      this.#o.log.warn("handshake failed", { endpoint, reason: err.message });
      // The handshake already closed with its code; a peer that hung up gave us
      // 1005/1006, which are received, never sent.
      if (err.failure !== "closed") conn.close(err.code ?? CloseCode.Normal, "handshake failed");
      return { ok: false, error: err.message, attempts: [], peerId: expectedPeerId };
    } finally {
      this.#pendingConns.delete(conn);
    }
    const link = this.#adopt(result, conn, endpoint);
    if (!link) {
      return { ok: false, error: "link refused", attempts: [], peerId: result.remote.peerId };
    }
    return { ok: true, endpoint, peerId: result.remote.peerId };
  }

  async #accept(conn: FrameConn): Promise<void> {
    if (this.#closed) {
      conn.close(CloseCode.GoingAway, "shutting down");
      return;
    }
    this.#pendingConns.add(conn);
    try {
      const result = await respond(conn, this.#o.identity, {
        isBlocked: (id) => this.peers.get(id)?.trust === "blocked",
        timeoutMs: this.#o.handshakeTimeoutMs,
      });
      this.#adopt(result, conn, null);
    } catch (e) {
      const err = e as HandshakeError;
      this.counters.count(`handshake_${err.failure ?? "error"}`);
      this.#o.log.info("inbound handshake failed", {
        from: `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`,
        reason: err.message,
      });
      // The handshake already closed with its code; a peer that hung up gave us
      // 1005/1006, which are received, never sent.
      if (err.failure !== "closed") conn.close(err.code ?? CloseCode.Normal, "handshake failed");
    } finally {
      this.#pendingConns.delete(conn);
    }
  }

  /** Turns a finished handshake into a link, applying trust and the one-link rule. */
  #adopt(result: HandshakeResult, conn: FrameConn, endpoint: string | null): Link | undefined {
    const remote = result.remote;
    if (this.#closed || remote.peerId === this.peerId) {
      conn.close(
        CloseCode.IdentityMismatch,
        remote.peerId === this.peerId ? "that is this node" : "closing",
      );
      return undefined;
    }
    if (!this.peers.keysMatch(remote.peerId, remote.ed25519PublicKey, remote.x25519PublicKey)) {
      this.counters.count("key_mismatch");
      conn.close(CloseCode.IdentityMismatch, "keys differ from the ones known for this peer");
      return undefined;
    }
    const known = this.peers.get(remote.peerId);
    const now = this.#now();
    const outbound = endpoint !== null;
    const peer = this.peers.upsert(remote.peerId, {
      ed25519Key: remote.ed25519PublicKey,
      x25519Key: remote.x25519PublicKey,
      bind: remote.bind,
      trust: known?.trust ?? (outbound ? "accepted" : "pending"),
      source: known?.source ?? (outbound ? "dial" : "inbound"),
      name: remote.name ?? known?.name ?? undefined,
      lastSeenAt: now,
      lastConnectedAt: now,
      lastEndpoint: endpoint ?? known?.lastEndpoint ?? undefined,
      lastError: null,
    });
    if (outbound) this.peers.addEndpoints(peer.peerId, [endpoint], true);
    else this.peers.addEndpoints(peer.peerId, remote.endpoints);

    const link = new Link(
      conn,
      remote,
      result.initiator,
      result.send,
      result.receive,
      this,
      this.counters,
      { now: this.#now, ...this.#o.linkOptions },
    );
    const existing = this.link(peer.peerId);
    if (existing) {
      // PROTOCOL §10: keep the link whose initiator has the smaller peer id.
      const initiatorOf = (l: Link) => (l.initiator ? this.peerId : l.peerId);
      const keepNew = initiatorOf(link) < initiatorOf(existing) ||
        (initiatorOf(link) === initiatorOf(existing) && link.id > existing.id);
      const loser = keepNew ? existing : link;
      this.counters.count("duplicate_link");
      if (!keepNew) {
        link.close(CloseCode.Duplicate, "duplicate link");
        return existing;
      }
      loser.close(CloseCode.Duplicate, "duplicate link");
    }
    this.#links.set(peer.peerId, link);
    this.#all.add(link);
    this.#clearRetry(peer.peerId, true);
    if (!outbound) link.welcome();
    link.start();
    this.relay?.linkUp(peer.peerId);
    this.#o.log.info("peer connected", {
      peer: peer.peerId,
      direction: outbound ? "outbound" : "inbound",
      trust: peer.trust,
      endpoint: endpoint ?? `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`,
    });
    this.#o.observer?.onPeerConnected?.(peer, link);
    if (peer.trust === "pending") this.#o.observer?.onPeerPending?.(peer);
    return link;
  }

  /** The endpoint a link runs over: the one dialled, or for an inbound link the peer's advertised one. */
  #endpointOf(link: Link): string {
    const peer = this.peers.get(link.peerId);
    const remote = link.conn.remoteAddr;
    if (link.initiator && peer?.lastEndpoint) return peer.lastEndpoint;
    const sameHost = peer?.endpoints.find((e) => {
      try {
        return new URL(e).hostname.replace(/^\[|\]$/g, "") === remote.hostname;
      } catch {
        return false;
      }
    });
    return sameHost ?? peer?.endpoints[0] ?? `ws://${remote.hostname}:${remote.port}`;
  }

  // ---- reconnecting -------------------------------------------------------------------------

  #scheduleRetry(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (this.#closed || !peer || peer.trust !== "accepted" || !peer.autoConnect) return;
    if (peer.endpoints.length === 0 || this.link(peerId)) return;
    const state = this.#retries.get(peerId) ?? { attempt: 0 };
    if (state.timer !== undefined) return;
    // While a relay carries the peer, keep trying to go direct at a steady pace (SPEC §6).
    const delay = this.relay?.routes.has(peerId)
      ? Math.min(backoffDelay(state.attempt, this.#o.backoff), RELAY_DIRECT_RETRY_MS)
      : backoffDelay(state.attempt, this.#o.backoff);
    state.attempt++;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (!this.#closed && !this.link(peerId)) void this.connect(peerId);
    }, delay);
    this.#retries.set(peerId, state);
    this.#o.log.debug("reconnect scheduled", {
      peer: peerId,
      in_ms: delay,
      attempt: state.attempt,
    });
  }

  #clearRetry(peerId: string, resetAttempts: boolean): void {
    const state = this.#retries.get(peerId);
    if (!state) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    if (resetAttempts) this.#retries.delete(peerId);
  }

  /** The next reconnect attempt number for a peer (diagnostics and tests). */
  retryAttempts(peerId: string): number {
    return this.#retries.get(peerId)?.attempt ?? 0;
  }

  // ---- peer management ----------------------------------------------------------------------

  /** Accepts a pending peer (SPEC: contact request accepted). */
  accept(peerId: string): Peer | undefined {
    if (!this.peers.get(peerId)) return undefined;
    const peer = this.peers.upsert(peerId, { trust: "accepted", autoConnect: true });
    this.#o.observer?.onPeerChanged?.(peer);
    return peer;
  }

  /** Blocks a peer: its link closes and future handshakes are refused. */
  block(peerId: string): Peer {
    const peer = this.peers.upsert(peerId, { trust: "blocked", autoConnect: false });
    this.#clearRetry(peerId, true);
    this.link(peerId)?.close(CloseCode.Blocked, "blocked");
    this.#o.observer?.onPeerChanged?.(peer);
    return peer;
  }

  /** Closes the link and stops redialling until a manual reconnect. */
  disconnect(peerId: string): boolean {
    if (!this.peers.get(peerId)) return false;
    this.peers.upsert(peerId, { autoConnect: false });
    this.#clearRetry(peerId, true);
    const link = this.link(peerId);
    link?.close(CloseCode.Normal, "disconnected by the user");
    return true;
  }

  /** Disconnects and removes everything known about a peer. */
  forget(peerId: string): boolean {
    this.#clearRetry(peerId, true);
    this.link(peerId)?.close(CloseCode.Normal, "forgotten");
    return this.peers.delete(peerId);
  }

  /** Reconnects every accepted peer now, resetting their backoff. */
  reconnectAll(): Promise<ConnectResult[]> {
    const targets = this.peers.all().filter((p) =>
      p.trust === "accepted" && p.endpoints.length > 0
    );
    for (const p of targets) if (!p.autoConnect) this.peers.upsert(p.peerId, { autoConnect: true });
    return Promise.all(targets.map((p) => this.connect(p.peerId, { manual: true })));
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Sends an envelope to a connected peer; resolves true once it acknowledged it. */
  sendEnvelope(peerId: string, bytes: Uint8Array): Promise<boolean> {
    const link = this.link(peerId);
    return link ? link.sendEnvelope(bytes) : Promise.resolve(false);
  }

  /**
   * Sends an envelope to a peer directly or through its relay route.
   * `admitted`/`acked` as for `Link.send`; `relayed` says the ack only
   * means the relay passed it on. Undefined when the peer is unreachable.
   */
  sendTracked(
    peerId: string,
    bytes: Uint8Array,
  ): { admitted: Promise<boolean>; acked: Promise<boolean>; relayed: boolean } | undefined {
    const direct = this.link(peerId)?.send(bytes);
    if (direct) return { ...direct, relayed: false };
    const via = this.relay?.sendVia(peerId, bytes);
    return via ? { ...via, relayed: true } : undefined;
  }

  /**
   * Floods an envelope to every accepted link but the one it came from and
   * its origin (PROTOCOL §10). Resolves once every target admitted it.
   */
  async flood(env: Envelope, fromPeerId: string | null): Promise<void> {
    const ttl = fromPeerId === null ? env.ttl : env.ttl - 1;
    if (ttl <= 0) return;
    let bytes: Uint8Array | undefined;
    const sends: Promise<boolean>[] = [];
    for (const link of this.links()) {
      if (link.peerId === fromPeerId || link.peerId === env.origin) continue;
      if (this.peers.get(link.peerId)?.trust !== "accepted") continue;
      bytes ??= ttl === env.ttl ? env.bytes : withTtl(env, ttl);
      sends.push(link.send(bytes).admitted);
    }
    await Promise.all(sends);
  }

  /** True when some accepted link has more than `limit` frames waiting (API back-pressure). */
  congested(limit = MAX_LINK_QUEUE, peerId?: string): boolean {
    const links = peerId ? [this.link(peerId)].filter((l): l is Link => !!l) : this.links();
    return links.some((l) => l.queued > limit);
  }

  // ---- LinkHandler --------------------------------------------------------------------------

  /** Parses and checks an envelope (PROTOCOL §4.4); undefined (counted) when it fails. */
  async #check(bytes: Uint8Array): Promise<Envelope | undefined> {
    const env = decodeEnvelope(bytes);
    if (typeof env === "string") {
      this.counters.count("malformed");
      return undefined;
    }
    if (!isKnownKind(env.kind)) {
      this.counters.count("unknown_kind");
      return undefined;
    }
    if (!(await verifyEnvelope(env, this.#o.verify))) {
      this.counters.count("bad_signature");
      return undefined;
    }
    if (!streamFitsKind(env)) {
      this.counters.count("bad_stream");
      return undefined;
    }
    if (env.to !== "" && env.to !== this.peerId) {
      this.counters.count("not_for_us");
      return undefined;
    }
    return env;
  }

  #count(outcome: "new" | "duplicate" | "rejected"): void {
    if (outcome !== "new") this.counters.count(outcome);
  }

  async onEnvelope(link: Link, bytes: Uint8Array): Promise<void> {
    const env = await this.#check(bytes);
    if (!env) return;
    const peer = this.peers.get(link.peerId);
    if (!peer) return;
    peer.lastSeenAt = this.#now();
    const outcome = await this.#o.sink.receive(env, peer);
    this.#count(outcome);
    // Policy `off`: this node forwards nothing for others (SPEC §6).
    const forwards = (this.#o.relayPolicy?.() ?? "broker_only") !== "off";
    if (outcome === "new" && forwards && FLOOD_KINDS.has(env.kind) && peer.trust === "accepted") {
      await this.flood(env, link.peerId);
    }
  }

  /** An envelope that came through a relay from `from` (PROTOCOL §7.5): direct kinds only. */
  async #deliverRelayed(from: string, bytes: Uint8Array): Promise<void> {
    const env = await this.#check(bytes);
    if (!env) return;
    const peer = this.peers.get(from);
    if (env.origin !== from || !peer || (env.kind !== Kind.Direct && env.kind !== Kind.Receipt)) {
      this.counters.count("relay_kind_refused");
      return;
    }
    peer.lastSeenAt = this.#now();
    this.#count(await this.#o.sink.receive(env, peer));
  }

  onRelayed(link: Link, to: string, from: string, sealed: Uint8Array): Promise<void> {
    if (!this.relay) {
      this.counters.count("relay_refused");
      return Promise.resolve();
    }
    return this.relay.onRelayed(link, to, from, sealed);
  }

  onControl(link: Link, message: ControlMessage): void {
    const handler = this.#controls.get(message.t);
    if (!handler) {
      this.counters.count("unknown_control");
      return;
    }
    try {
      handler(link, message);
    } catch (e) {
      this.counters.count("control_failed");
      this.#o.log.warn("control message failed", { type: message.t, error: e });
    }
  }

  onClose(link: Link, info: CloseInfo): void {
    this.#all.delete(link);
    if (this.#links.get(link.peerId) !== link) return;
    this.#links.delete(link.peerId);
    this.relay?.linkDown(link.peerId);
    const peer = this.peers.get(link.peerId);
    if (!peer) return;
    peer.lastSeenAt = this.#now();
    this.#o.log.info("peer disconnected", {
      peer: peer.peerId,
      code: info.code,
      reason: info.reason,
      by: info.byPeer ? "peer" : "us",
    });
    this.#o.observer?.onPeerDisconnected?.(peer, info, link);
    const deliberate = !info.byPeer &&
      [CloseCode.Normal, CloseCode.Duplicate, CloseCode.Blocked, CloseCode.GoingAway].includes(
        info.code as 1000,
      );
    if (!deliberate) this.#scheduleRetry(peer.peerId);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Stops listening, closes every link and pending handshake, cancels timers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const state of this.#retries.values()) clearTimeout(state.timer);
    this.#retries.clear();
    for (const conn of this.#pendingConns) conn.close(CloseCode.GoingAway, "shutting down");
    const closing = [...this.#all].map((l) => {
      l.close(CloseCode.GoingAway, "node shutting down");
      return l.conn.closed; // the WebSocket close handshake, bounded by its own deadline
    });
    await Promise.allSettled([...closing, this.#listener?.close(), ...this.#dialing.values()]);
  }

  /** Link and counter details for `/info`. */
  diagnostics(): Record<string, unknown> {
    return {
      links: this.links().map((l) => ({
        peer_id: l.peerId,
        direction: l.initiator ? "outbound" : "inbound",
        opened_at: new Date(l.openedAt).toISOString(),
        in_flight: l.inFlight,
        queued: l.queued,
        ...l.stats,
      })),
      drops: this.counters.snapshot(),
      listener_drops: { ...this.#listener?.drops },
    };
  }
}
