/**
 * Connecting to an introduced peer (SPEC §6, the guide's seven steps):
 * direct dial → BROKER_REQUEST to the introducer → BROKER_INTRO to the
 * target, which dials back → if that fails too and the introducer runs
 * `full_relay`, RELAY_OFFER to both → both route through it. This file is
 * all three roles: the asker, the introducer and the target.
 * @module
 */
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { CanopyError } from "../util/errors.ts";
import type { Logger } from "../util/log.ts";
import { isEndpoint } from "../identity/invite.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { verifyBinding } from "../mesh/handshake.ts";
import type { Link } from "../mesh/link.ts";
import type { ConnectResult } from "../mesh/mesh.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { Counters } from "../mesh/counters.ts";
import type { ControlMessage } from "../mesh/wire/frame.ts";
import type { RelayPolicyName } from "../mesh/relay.ts";

/** How long the asker waits for the broker to produce a link or a route (ms). */
export const BROKER_WAIT_MS = 20_000;

/** What the broker needs from the mesh. */
export interface BrokerMesh {
  handleControl(type: string, handler: (link: Link, m: ControlMessage) => void): void;
  link(peerId: string): Link | undefined;
  isConnected(peerId: string): boolean;
  connect(peerId: string, options?: { manual?: boolean }): Promise<ConnectResult>;
  routeOf(peerId: string): string | undefined;
  peers: {
    get(peerId: string): Peer | undefined;
    upsert(peerId: string, update: Partial<Peer>): Peer;
    addEndpoints(peerId: string, endpoints: readonly string[], first?: boolean): void;
  };
  relay?: { offer(a: string, b: string): boolean };
}

/** Options of `Broker`. */
export interface BrokerOptions {
  readonly me: string;
  readonly mesh: BrokerMesh;
  readonly counters: Counters;
  readonly log: Logger;
  readonly policy: () => RelayPolicyName;
  readonly endpoints: () => string[];
  readonly waitMs?: number;
}

/** One step of a connection attempt, for the API and UI. */
export interface Step {
  step: "direct" | "broker" | "relay";
  ok: boolean;
  detail: string;
}

type Outcome = { kind: "link" } | { kind: "route"; via: string } | {
  kind: "failed";
  reason: string;
  /** Where it failed: the introducer could not broker, or brokering worked and relaying did not. */
  stage: "broker" | "relay";
};

function endpointsOf(v: unknown): string[] {
  return Array.isArray(v)
    ? v.filter((e): e is string => typeof e === "string" && e.length <= 300 && isEndpoint(e)).slice(
      0,
      16,
    )
    : [];
}

/** Brokered connections. */
export class Broker {
  readonly #waiting = new Map<string, (o: Outcome) => void>();
  /** Introducer side: asker of each pending broker request, by target. */
  readonly #asked = new Map<string, Set<string>>();

  constructor(private readonly o: BrokerOptions) {
    const m = o.mesh;
    m.handleControl("broker_request", (link, msg) => this.#onRequest(link, msg));
    m.handleControl("broker_intro", (link, msg) => void this.#onIntro(link, msg));
    m.handleControl("broker_result", (link, msg) => this.#onResult(link, msg));
  }

  /** The mesh saw a link to `peerId` come up. */
  linkUp(peerId: string): void {
    this.#waiting.get(peerId)?.({ kind: "link" });
  }

  /** The mesh added a relay route to `peerId`. */
  routeAdded(peerId: string, via: string): void {
    this.#waiting.get(peerId)?.({ kind: "route", via });
  }

  // ---- the asker (`/p2p/connect_introduced`) -------------------------------------------------

  /** Tries direct, then the broker, then the relay. */
  async connect(peerId: string): Promise<Record<string, unknown>> {
    const peer = this.o.mesh.peers.get(peerId);
    if (!peer) throw new CanopyError("not_found", `Unknown peer ${peerId}`, { field: "peer_id" });
    if (peer.trust === "blocked") {
      throw new CanopyError("conflict", `Peer ${peerId} is blocked`, { field: "peer_id" });
    }
    // Keep trying direct in the background from now on (a relay is only a stopgap).
    this.o.mesh.peers.upsert(peerId, { autoConnect: true });
    const steps: Step[] = [];
    const direct = await this.o.mesh.connect(peerId, { manual: true });
    steps.push({
      step: "direct",
      ok: direct.ok,
      detail: direct.ok ? direct.endpoint : direct.error,
    });
    if (direct.ok) {
      return { peer_id: peerId, status: "connected", route: "direct", via: null, steps };
    }
    const existingRoute = this.o.mesh.routeOf(peerId);
    if (existingRoute) {
      return { peer_id: peerId, status: "relayed", route: "relay", via: existingRoute, steps };
    }
    const introducer = peer.introducedBy;
    const link = introducer ? this.o.mesh.link(introducer) : undefined;
    if (!introducer || !link) {
      steps.push({ step: "broker", ok: false, detail: "the introducer is not connected" });
      return this.#failed(
        peerId,
        steps,
        "could not connect directly, and no introducer is connected",
      );
    }
    const outcome = await this.#await(
      peerId,
      () =>
        link.sendControl({ t: "broker_request", target: peerId, endpoints: this.o.endpoints() }),
    );
    if (outcome.kind === "link") {
      steps.push({
        step: "broker",
        ok: true,
        detail: `${peerId} dialled back after ${introducer} introduced us`,
      });
      return {
        peer_id: peerId,
        status: "connected",
        route: "direct",
        via: null,
        brokered: true,
        steps,
      };
    }
    if (outcome.kind === "route") {
      steps.push({
        step: "broker",
        ok: false,
        detail: "the introducer brokered, but neither side could reach the other",
      });
      steps.push({ step: "relay", ok: true, detail: `relayed through ${outcome.via}` });
      return { peer_id: peerId, status: "relayed", route: "relay", via: outcome.via, steps };
    }
    if (outcome.stage === "broker") {
      steps.push({ step: "broker", ok: false, detail: outcome.reason });
      steps.push({ step: "relay", ok: false, detail: "not attempted" });
    } else {
      steps.push({
        step: "broker",
        ok: false,
        detail: "the introducer brokered, but neither side could reach the other",
      });
      steps.push({ step: "relay", ok: false, detail: outcome.reason });
    }
    return this.#failed(peerId, steps, outcome.reason);
  }

  #failed(peerId: string, steps: Step[], message: string): Record<string, unknown> {
    return { peer_id: peerId, status: "failed", route: null, via: null, message, steps };
  }

  #await(peerId: string, send: () => void): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(
        () =>
          done({
            kind: "failed",
            reason: "no answer from the introducer in time",
            stage: "broker",
          }),
        this.o.waitMs ?? BROKER_WAIT_MS,
      );
      const done = (o: Outcome) => {
        clearTimeout(timer);
        if (this.#waiting.get(peerId) === done) this.#waiting.delete(peerId);
        resolve(o);
      };
      this.#waiting.get(peerId)?.({
        kind: "failed",
        reason: "superseded by a newer attempt",
        stage: "broker",
      });
      this.#waiting.set(peerId, done);
      send();
    });
  }

  // ---- the introducer ------------------------------------------------------------------------

  #onRequest(link: Link, m: ControlMessage): void {
    const target = String(m.target ?? "");
    const reply = (reason: string) =>
      link.sendControl({
        t: "broker_result",
        target,
        ok: false,
        relayed: false,
        stage: "broker",
        reason,
      });
    if (this.o.policy() === "off") {
      this.o.counters.count("broker_refused");
      return reply("the introducer does not assist other peers (relay policy off)");
    }
    const asker = this.o.mesh.peers.get(link.peerId);
    const toTarget = this.o.mesh.link(target);
    if (!toTarget) return reply("the introducer is not connected to that peer");
    if (!asker?.ed25519Key || !asker.x25519Key || !asker.bind) {
      return reply("the introducer lacks your keys");
    }
    const endpoints = [...new Set([...endpointsOf(m.endpoints), ...asker.endpoints])].slice(0, 16);
    toTarget.sendControl({
      t: "broker_intro",
      from: link.peerId,
      epk: toBase64Url(asker.ed25519Key),
      xpk: toBase64Url(asker.x25519Key),
      bind: toBase64Url(asker.bind),
      endpoints,
      name: asker.name ?? undefined,
    });
    const askers = this.#asked.get(target) ?? new Set();
    askers.add(link.peerId);
    this.#asked.set(target, askers);
    this.o.counters.count("broker_intro_sent");
  }

  #onResult(link: Link, m: ControlMessage): void {
    const about = String(m.target ?? "");
    // At the asker: the introducer's verdict.
    if (this.#waiting.has(about) && m.relayed !== true && m.ok === false && link.peerId !== about) {
      this.#waiting.get(about)?.({
        kind: "failed",
        reason: String(m.reason ?? "brokering failed"),
        stage: m.stage === "relay" ? "relay" : "broker",
      });
      return;
    }
    // At the introducer: the target reports on its dial-back to `about`.
    const askers = this.#asked.get(link.peerId);
    if (!askers?.has(about)) return;
    askers.delete(about);
    const asker = this.o.mesh.link(about);
    if (!asker) return;
    if (m.ok === true) {
      asker.sendControl({ t: "broker_result", target: link.peerId, ok: true });
      return;
    }
    if (this.o.policy() === "full_relay" && this.o.mesh.relay?.offer(about, link.peerId)) return;
    asker.sendControl({
      t: "broker_result",
      target: link.peerId,
      ok: false,
      relayed: false,
      stage: "relay",
      reason: this.o.policy() === "full_relay"
        ? "neither side could reach the other, and the relay could not be set up"
        : `neither side could reach the other; the introducer does not relay (policy ${this.o.policy()})`,
    });
  }

  // ---- the target ----------------------------------------------------------------------------

  async #onIntro(link: Link, m: ControlMessage): Promise<void> {
    const introducer = this.o.mesh.peers.get(link.peerId);
    const from = String(m.from ?? "");
    const report = (ok: boolean, reason?: string) =>
      link.sendControl({ t: "broker_result", target: from, ok, reason });
    if (introducer?.trust !== "accepted") {
      this.o.counters.count("broker_refused");
      return;
    }
    let epk: Uint8Array, xpk: Uint8Array, bind: Uint8Array;
    try {
      epk = fromBase64Url(String(m.epk));
      xpk = fromBase64Url(String(m.xpk));
      bind = fromBase64Url(String(m.bind));
    } catch {
      this.o.counters.count("bad_control");
      return;
    }
    if (epk.length !== 32 || peerIdOf(epk) !== from || !(await verifyBinding(epk, xpk, bind))) {
      this.o.counters.count("intro_key_mismatch");
      return report(false, "the introduced keys do not match the peer id");
    }
    if (from === this.o.me) return;
    const known = this.o.mesh.peers.get(from);
    if (known?.trust === "blocked") return report(false, "blocked");
    this.o.mesh.peers.upsert(from, {
      ed25519Key: epk,
      x25519Key: xpk,
      bind,
      trust: known?.trust ?? "accepted",
      source: known?.source ?? "brokered",
      introducedBy: known?.introducedBy ?? link.peerId,
      autoConnect: true,
      name: known?.name ?? (typeof m.name === "string" ? m.name.slice(0, 64) : undefined),
    });
    this.o.mesh.peers.addEndpoints(from, endpointsOf(m.endpoints), true);
    const result = await this.o.mesh.connect(from, { manual: true });
    this.o.log.info("brokered dial-back", { peer: from, ok: result.ok });
    report(result.ok, result.ok ? undefined : result.error);
  }
}
