/**
 * Relaying (SPEC §6, PROTOCOL §7.5): routes to peers reached through a
 * third node, and the relay side that forwards RELAYED frames it cannot
 * read. A relay forwards only between two peers it offered to relay for,
 * only with policy `full_relay`, and at a bounded rate per pair (it slows
 * the sender through flow control rather than dropping). Routes vanish when
 * the relay's link drops, when it withdraws them, or when a direct link to
 * the target appears.
 * @module
 */
import { utf8 } from "../util/bytes.ts";
import type { Logger } from "../util/log.ts";
import type { Counters } from "./counters.ts";
import type { Link } from "./link.ts";
import type { SealCache } from "./seal_cache.ts";
import type { ControlMessage } from "./wire/frame.ts";

/** Relayed frames per second per pair, and burst (tokens). */
export const RELAY_RATE = 500;
export const RELAY_BURST = 1000;

/** Relay policies (SPEC §6). */
export type RelayPolicyName = "off" | "broker_only" | "full_relay";

/** What the relay needs from the mesh. */
export interface RelayHost {
  readonly me: string;
  link(peerId: string): Link | undefined;
  /** X25519 key of a peer, proven by a handshake or signed introduction. */
  x25519Of(peerId: string): Uint8Array | undefined;
  /** Runs an envelope that arrived through a relay from `from` through the receive pipeline. */
  deliver(from: string, bytes: Uint8Array): Promise<void>;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now: () => number;
  /** Told when a route appears or disappears. */
  onRouteChange(peerId: string, via: string | null, reason: string): void;
}

/** The binding of a relayed box to its routing header. */
function relayAad(from: string, to: string): Uint8Array {
  return utf8(`canopy-relay/1:${from}:${to}`);
}

/** Routes through relays, and relaying for others. */
export class Relay {
  /** target peer → relay peer, for routes this node uses. */
  readonly routes = new Map<string, string>();
  /** pairs this node relays for, as "a|b" with a < b. */
  readonly #pairs = new Set<string>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly host: RelayHost,
    private readonly seal: SealCache,
    private readonly policy: () => RelayPolicyName,
  ) {}

  static #pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  /** The pairs this node relays for. */
  relayingFor(): [string, string][] {
    return [...this.#pairs].map((p) => p.split("|") as [string, string]);
  }

  // ---- the relay side --------------------------------------------------------------------------

  /** Offers to relay between two directly linked peers (PROTOCOL §7.5); false when it cannot. */
  offer(a: string, b: string): boolean {
    const la = this.host.link(a);
    const lb = this.host.link(b);
    if (this.policy() !== "full_relay" || !la || !lb || a === b) return false;
    this.#pairs.add(Relay.#pair(a, b));
    la.sendControl({ t: "relay_offer", a, b });
    lb.sendControl({ t: "relay_offer", a, b });
    this.host.log.info("relaying between peers", { a, b });
    return true;
  }

  /** Stops relaying for every pair (policy changed). */
  withdrawAll(reason: string): void {
    for (const [a, b] of this.relayingFor()) {
      this.host.link(a)?.sendControl({ t: "route_withdraw", peer: b, reason });
      this.host.link(b)?.sendControl({ t: "route_withdraw", peer: a, reason });
    }
    this.#pairs.clear();
  }

  async #takeToken(pair: string): Promise<void> {
    for (;;) {
      const now = this.host.now();
      const b = this.#buckets.get(pair) ?? { tokens: RELAY_BURST, at: now };
      b.tokens = Math.min(RELAY_BURST, b.tokens + ((now - b.at) / 1000) * RELAY_RATE);
      b.at = now;
      this.#buckets.set(pair, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
      this.host.counters.count("relay_throttled");
      await new Promise((r) => setTimeout(r, Math.ceil(1000 / RELAY_RATE)));
    }
  }

  /** A RELAYED frame arrived on `link` (PROTOCOL §7.5). */
  async onRelayed(link: Link, to: string, from: string, sealed: Uint8Array): Promise<void> {
    if (to === this.host.me) {
      // The last hop: it must come from the relay we accepted for `from`.
      if (this.routes.get(from) !== link.peerId) {
        this.host.counters.count("relay_unexpected");
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = await this.seal.open(sealed, relayAad(from, to));
      } catch {
        this.host.counters.count("undecryptable");
        return;
      }
      await this.host.deliver(from, bytes);
      return;
    }
    if (from !== link.peerId) {
      this.host.counters.count("relay_spoofed");
      return;
    }
    const next = this.host.link(to);
    if (this.policy() !== "full_relay" || !this.#pairs.has(Relay.#pair(from, to)) || !next) {
      this.host.counters.count("relay_refused");
      return;
    }
    await this.#takeToken(Relay.#pair(from, to));
    this.host.counters.count("relayed");
    // Acknowledge upstream only once the next hop stored it.
    await next.sendRelayed(to, from, sealed).acked;
  }

  // ---- the ends ----------------------------------------------------------------------------------

  /** Handles relay_offer and route_withdraw from a directly linked peer. */
  onControl(link: Link, m: ControlMessage): void {
    if (m.t === "relay_offer") {
      const other = m.a === this.host.me ? m.b : m.b === this.host.me ? m.a : undefined;
      if (typeof other !== "string" || other === this.host.me || other === link.peerId) {
        this.host.counters.count("bad_control");
        return;
      }
      if (this.host.link(other)) return; // a direct link beats any relay
      if (!this.host.x25519Of(other)) {
        this.host.counters.count("relay_unknown_peer");
        return;
      }
      this.routes.set(other, link.peerId);
      this.host.onRouteChange(other, link.peerId, "offered");
    } else if (m.t === "route_withdraw" && typeof m.peer === "string") {
      if (this.routes.get(m.peer) === link.peerId) {
        this.routes.delete(m.peer);
        this.host.onRouteChange(m.peer, null, "withdrawn by the relay");
      }
    }
  }

  /** Sends an envelope to `target` through its relay; undefined without a usable route. */
  sendVia(
    target: string,
    bytes: Uint8Array,
  ): { admitted: Promise<boolean>; acked: Promise<boolean> } | undefined {
    const relay = this.routes.get(target);
    const link = relay ? this.host.link(relay) : undefined;
    const key = this.host.x25519Of(target);
    if (!link || !key) return undefined;
    const sending = this.seal.seal(key, bytes, relayAad(this.host.me, target)).then((sealed) =>
      link.sendRelayed(target, this.host.me, sealed)
    );
    return {
      admitted: sending.then((s) => s.admitted, () => false),
      acked: sending.then((s) => s.acked, () => false),
    };
  }

  // ---- link events -------------------------------------------------------------------------------

  /** A direct link came up: it replaces any relay route to that peer. */
  linkUp(peerId: string): void {
    if (this.routes.delete(peerId)) this.host.onRouteChange(peerId, null, "direct link");
  }

  /** A link went down: routes through it end; pairs relayed with it are withdrawn. */
  linkDown(peerId: string): void {
    for (const [target, via] of [...this.routes]) {
      if (via === peerId) {
        this.routes.delete(target);
        this.host.onRouteChange(target, null, "relay link lost");
      }
    }
    for (const [a, b] of this.relayingFor()) {
      if (a !== peerId && b !== peerId) continue;
      const other = a === peerId ? b : a;
      this.#pairs.delete(Relay.#pair(a, b));
      this.host.link(other)?.sendControl({
        t: "route_withdraw",
        peer: peerId,
        reason: "link lost",
      });
    }
  }
}
