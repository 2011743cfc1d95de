/**
 * LAN discovery (SPEC §7, PROTOCOL §11): advertises this node as a
 * `_canopy._tcp.local` service, browses for other nodes and tells an
 * observer when one appears, changes or goes. This façade owns the socket
 * and the timers; `Advertiser` builds what we send, `ServiceBrowser` keeps
 * what we hear. The socket comes in through `MdnsTransport`
 * (src/discovery/mdns.ts in production, an in-memory network in tests);
 * time and timers are injected.
 *
 * Failures never reach the caller: a socket that cannot be opened disables
 * discovery with one warning; send failures are counted and warned about
 * once per cause, and discovery keeps trying (a network may come up later).
 * @module
 */
import { Advertiser, type AdvertiserOptions } from "./advertiser.ts";
import {
  type DiscoveredPeer,
  type LostReason,
  type PeerChange,
  ServiceBrowser,
} from "./browser.ts";
import type { MdnsHandlers, MdnsSocket, MdnsTransport, RemoteInfo, Timers } from "./ports.ts";
import { type MdnsPacket, SERVICE_TYPE } from "./records.ts";

export type { DiscoveredPeer, LostReason };

/** TTL of our records (s). One value for all: a node that vanishes without a goodbye is gone within it. */
export const SERVICE_TTL_S = 120;
/** When the unsolicited announcements go out after start or an address change (ms, RFC 6762 §8.3). */
export const ANNOUNCE_DELAYS_MS: readonly number[] = [0, 1_000, 2_000];
/** Browse queries go out at 0, 1 s, 2 s, 4 s … doubling up to this interval (ms, RFC 6762 §5.2). */
export const QUERY_MAX_INTERVAL_MS = 60_000;
/** How often the device name and interface addresses are compared with the announced ones (ms). */
export const ADDRESS_CHECK_MS = 5_000;
/** How often expired records are swept (ms). */
export const SWEEP_INTERVAL_MS = 1_000;
/** How long `close()` waits for the goodbye to be sent (ms). */
export const GOODBYE_DEADLINE_MS = 1_000;

/** What discovery reports. */
export interface DiscoveryObserver {
  onDiscovered?(peer: DiscoveredPeer, change: "new" | "updated"): void;
  onLost?(peer: DiscoveredPeer, reason: LostReason): void;
}

/** Options of `Discovery`: the advertiser's (its TTL aside) and the browser's own. */
export interface DiscoveryOptions extends Omit<AdvertiserOptions, "ttlSeconds"> {
  /**
   * Announce and answer for this node (default true). False only browses: for
   * a mesh bound to loopback, which nobody on the LAN could reach.
   */
  readonly advertise?: boolean;
  readonly transport: MdnsTransport;
  readonly observer?: DiscoveryObserver;
  readonly now?: () => number;
  readonly timers?: Timers;
  /** Default `SERVICE_TTL_S`. */
  readonly ttlSeconds?: number;
  /** Default `ANNOUNCE_DELAYS_MS`. */
  readonly announceDelaysMs?: readonly number[];
  /** Default `QUERY_MAX_INTERVAL_MS`. */
  readonly queryMaxIntervalMs?: number;
  /** Default `ADDRESS_CHECK_MS`. */
  readonly addressCheckMs?: number;
  /** Default `SWEEP_INTERVAL_MS`. */
  readonly sweepIntervalMs?: number;
}

/** `setTimeout` without the Node-style overloads. */
const DEFAULT_TIMERS: Timers = {
  // Deno's timers return numbers; the cast only quiets @types/node's overloads.
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id),
};

/** mDNS advertiser and browser of one node. */
export class Discovery {
  readonly #o: DiscoveryOptions;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #ttl: number;
  readonly #advertiser: Advertiser;
  readonly #browser: ServiceBrowser;
  readonly #pending = new Set<number>();
  readonly #announceTimers = new Set<number>();
  readonly #counters = new Map<string, number>();
  readonly #warned = new Set<string>();
  #socket?: MdnsSocket;
  #opening?: Promise<MdnsSocket | undefined>;
  #state: "idle" | "running" | "failed" | "closed" = "idle";
  #queryDelay = 0;

  constructor(options: DiscoveryOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? DEFAULT_TIMERS;
    this.#ttl = options.ttlSeconds ?? SERVICE_TTL_S;
    if (!Number.isInteger(options.meshPort) || options.meshPort < 1 || options.meshPort > 65535) {
      throw new RangeError(`meshPort must be 1–65535, got ${options.meshPort}`);
    }
    if (!Number.isInteger(this.#ttl) || this.#ttl < 1) {
      throw new RangeError(`ttlSeconds must be ≥ 1, got ${this.#ttl}`);
    }
    this.#advertiser = new Advertiser({ ...options, ttlSeconds: this.#ttl });
    this.#browser = new ServiceBrowser({
      peerId: options.peerId,
      ownNames: () => this.#advertiser.ownNames(),
      count: (what) => this.#count(what),
    });
  }

  /** Our instance label (e.g. `laptop-7Hx2kQ`). */
  get instance(): string {
    return this.#advertiser.instance;
  }

  /** True while the socket is open. */
  get running(): boolean {
    return this.#state === "running";
  }

  get #advertising(): boolean {
    return this.#o.advertise !== false;
  }

  /**
   * Opens the socket, announces and starts browsing. Resolves false (after
   * one warning) when mDNS cannot be used; never rejects.
   */
  async start(): Promise<boolean> {
    if (this.#state !== "idle" || this.#opening) return this.#state === "running";
    const off = "LAN discovery is off: the mDNS socket (UDP 5353) could not be opened";
    this.#opening = this.#o.transport.open(this.#handlers()).catch((e) => {
      this.#warnOnce("open", off, { error: e });
      return undefined;
    });
    const socket = await this.#opening;
    if (!socket) {
      if (this.#state === "idle") this.#state = "failed";
      return false;
    }
    // close() may have run while the socket was opening; it closed the socket then.
    if ((this.#state as string) === "closed") return false;
    this.#socket = socket;
    this.#state = "running";
    this.#o.log.info("LAN discovery started", {
      advertising: this.#advertising,
      instance: this.#advertiser.instance,
      service: SERVICE_TYPE,
      port: this.#o.meshPort,
    });
    this.#announce();
    this.#browse();
    this.#every(this.#o.sweepIntervalMs ?? SWEEP_INTERVAL_MS, () => this.#sweep());
    this.#every(this.#o.addressCheckMs ?? ADDRESS_CHECK_MS, () => this.#update(false));
    return true;
  }

  /** The nodes currently discovered (never this one). */
  peers(): DiscoveredPeer[] {
    return this.#browser.peers();
  }

  /** Counters and state for `/info`. */
  diagnostics(): Record<string, unknown> {
    return {
      state: this.#state,
      advertising: this.#advertising,
      instance: this.#advertiser.instance,
      service: SERVICE_TYPE,
      ttl_seconds: this.#ttl,
      advertised_addresses: [...this.#advertiser.addresses],
      discovered: this.#browser.size,
      cached_records: this.#browser.records,
      counters: Object.fromEntries(this.#counters),
    };
  }

  /** Re-announces now (e.g. after the device name or addresses changed). */
  refresh(): void {
    if (this.#state === "running") this.#update(true);
  }

  /** Sends the goodbye, closes the socket and stops every timer. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const wasRunning = this.#state === "running";
    this.#state = "closed";
    for (const id of this.#pending) this.#timers.clearTimeout(id);
    this.#pending.clear();
    this.#announceTimers.clear();
    const socket = this.#socket ?? await this.#opening;
    this.#socket = undefined;
    if (socket && wasRunning && this.#advertising) {
      const sent = await this.#withDeadline(socket.send(this.#advertiser.goodbye()));
      this.#o.log.info("LAN discovery stopped", {
        instance: this.#advertiser.instance,
        goodbye: sent,
      });
    }
    await socket?.close().catch((e) => this.#o.log.debug("mDNS close failed", { error: e }));
    this.#browser.clear();
  }

  // ---- socket events ------------------------------------------------------------------------

  #handlers(): MdnsHandlers {
    return {
      packet: (packet, from) => {
        if (this.#state !== "running") return;
        try {
          if (packet.type === "query") this.#onQuery(packet, from);
          else if (packet.type === "response") this.#onResponse(packet, from);
        } catch (e) {
          this.#count("packet_failed");
          this.#o.log.debug("mDNS packet not handled", { error: e });
        }
      },
      malformed: () => this.#count("malformed_packet"),
      warning: (e) => {
        this.#count("socket_warning");
        this.#o.log.debug("mDNS socket warning", { error: e });
      },
      error: (e) => {
        this.#count("socket_error");
        const key = `error:${(e as { code?: string }).code ?? e.message}`;
        this.#warnOnce(key, "mDNS socket error", { error: e });
      },
      interfacesChanged: () => {
        if (this.#state === "running") this.#update(true);
      },
    };
  }

  #onQuery(query: MdnsPacket, from: RemoteInfo): void {
    this.#count("queries_in");
    if (!this.#advertising) return;
    const reply = this.#advertiser.reply(query, from);
    if (reply) this.#send(reply.packet, reply.to);
  }

  #onResponse(packet: MdnsPacket, from: RemoteInfo): void {
    this.#count("responses_in");
    this.#report(this.#browser.receive(packet, from, this.#now()));
  }

  #sweep(): void {
    const { changes, queries } = this.#browser.sweep(this.#now());
    this.#report(changes);
    for (const q of queries) this.#send(q);
  }

  /** Logs the changes and tells the observer. */
  #report(changes: PeerChange[]): void {
    for (const c of changes) {
      const p = c.peer;
      if (c.kind === "lost") {
        this.#o.log.info("LAN peer lost", { peer: p.peerId, instance: p.name, reason: c.reason });
        this.#notify(() => this.#o.observer?.onLost?.(p, c.reason));
      } else {
        this.#o.log.info(c.change === "new" ? "LAN peer discovered" : "LAN peer changed", {
          peer: p.peerId,
          instance: p.name,
          endpoints: p.endpoints.join(" "),
        });
        this.#notify(() => this.#o.observer?.onDiscovered?.(p, c.change));
      }
    }
  }

  // ---- announcing and browsing --------------------------------------------------------------

  /** (Re)starts the announcement sequence (RFC 6762 §8.3). */
  #announce(): void {
    if (!this.#advertising) return;
    for (const id of this.#announceTimers) {
      this.#timers.clearTimeout(id);
      this.#pending.delete(id);
    }
    this.#announceTimers.clear();
    for (const delay of this.#o.announceDelaysMs ?? ANNOUNCE_DELAYS_MS) {
      const id = this.#after(delay, () => {
        this.#announceTimers.delete(id);
        this.#count("announcements");
        this.#send(this.#advertiser.announcement());
      });
      this.#announceTimers.add(id);
    }
  }

  /** Sends a browse query now and schedules the next one (doubling up to the cap). */
  #browse(): void {
    this.#send(this.#browser.query(this.#now()));
    this.#queryDelay = Math.min(
      this.#queryDelay === 0 ? 1_000 : this.#queryDelay * 2,
      this.#o.queryMaxIntervalMs ?? QUERY_MAX_INTERVAL_MS,
    );
    this.#after(this.#queryDelay, () => this.#browse());
  }

  /** Re-announces when the device name or the addresses changed (or when forced). */
  #update(force: boolean): void {
    const { goodbyes, changed } = this.#advertiser.update();
    if (!changed && !force) return;
    if (this.#advertising) { for (const g of goodbyes) this.#send(g); }
    this.#announce();
    this.#queryDelay = 0; // a new network may hold new peers: browse again from the start
  }

  // ---- plumbing -----------------------------------------------------------------------------

  #send(packet: MdnsPacket, to?: RemoteInfo): void {
    const socket = this.#socket;
    if (!socket || this.#state !== "running") return;
    socket.send(packet, to).then(
      () => this.#count("packets_out"),
      (e) => {
        this.#count("send_failed");
        const code = (e as { code?: string }).code ?? (e as Error).name;
        this.#warnOnce(
          `send:${code}`,
          "mDNS send failed (no multicast route?); LAN discovery keeps trying",
          { error: e },
        );
      },
    );
  }

  #after(ms: number, fn: () => void): number {
    const id = this.#timers.setTimeout(() => {
      this.#pending.delete(id);
      if (this.#state === "running") fn();
    }, ms);
    this.#pending.add(id);
    return id;
  }

  #every(ms: number, fn: () => void): void {
    const tick = () => {
      fn();
      this.#after(ms, tick);
    };
    this.#after(ms, tick);
  }

  /** True when `p` fulfilled within `GOODBYE_DEADLINE_MS`. */
  async #withDeadline(p: Promise<void>): Promise<boolean> {
    let id: number | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      id = this.#timers.setTimeout(() => resolve(false), GOODBYE_DEADLINE_MS);
    });
    try {
      return await Promise.race([p.then(() => true, () => false), deadline]);
    } finally {
      this.#timers.clearTimeout(id!);
    }
  }

  #notify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#o.log.warn("discovery observer failed", { error: e });
    }
  }

  #count(what: string): void {
    this.#counters.set(what, (this.#counters.get(what) ?? 0) + 1);
  }

  #warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.#warned.has(key)) {
      this.#o.log.debug(message, fields);
      return;
    }
    this.#warned.add(key);
    this.#o.log.warn(message, fields);
  }
}
