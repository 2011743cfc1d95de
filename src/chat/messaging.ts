/**
 * Direct messages and broadcasts (SPEC §5, PROTOCOL §4, §6): creating,
 * sealing, signing and storing what this node sends; storing what arrives;
 * the persistent outbox that delivers queued direct messages when a link is
 * up; and delivery receipts moving a message from queued to sent to
 * delivered.
 * @module
 */
import type { Author } from "./author.ts";
import type { EnvelopeRouter } from "./router.ts";
import type { Envelope } from "../mesh/wire/envelope.ts";
import { BROADCAST_STREAM, directStream, Kind } from "../mesh/wire/envelope.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { SealCache } from "../mesh/seal_cache.ts";
import type { Counters } from "../mesh/counters.ts";
import type { Database } from "../store/sqlite.ts";
import type {
  DeliveryState,
  MessagesRepo,
  NewMessage,
  StoredMessage,
} from "../store/messages_repo.ts";
import { fromUtf8, toHex, utf8 } from "../util/bytes.ts";
import { CanopyError } from "../util/errors.ts";
import type { Logger } from "../util/log.ts";
import type { EventBus } from "./events.ts";

/** Longest message text (characters). */
export const MAX_TEXT_LENGTH = 65_536;
/** Queued direct messages per peer before the API answers 429. */
export const MAX_QUEUED_PER_PEER = 50_000;
/** Frames waiting on a link before sends to it answer 429. */
export const LINK_CONGESTION_LIMIT = 2048;
/** Outbox rows read per query. */
export const OUTBOX_BATCH = 256;
/** Envelopes kept in memory between writing and sending (the rest are read back). */
export const FRESH_ENVELOPES = 2048;
/** Receipts are batched for this long (ms)… */
export const RECEIPT_DELAY_MS = 50;
/** …or until this many ids are waiting. */
export const RECEIPT_MAX_IDS = 500;

/** A message as the API shows it. */
export interface MessageView {
  id: string;
  type: "direct" | "broadcast";
  origin: string;
  outgoing: boolean;
  peer_id: string | null;
  /** The origin's display name and device name, when known. */
  origin_name: string | null;
  origin_device_name: string | null;
  content: string;
  timestamp: string;
  received_at: string;
  seq: number;
  state: "queued" | "sent" | "delivered" | "failed" | "received";
  from_pending_peer: boolean;
}

/** What messaging needs from the mesh (the `Mesh` class provides it; tests fake it). */
export interface MessagingMesh {
  readonly peers: { get(peerId: string): Peer | undefined };
  /** A direct link or a relay route to the peer exists. */
  isReachable(peerId: string): boolean;
  congested(limit: number, peerId?: string): boolean;
  acceptedLinkCount(): number;
  flood(env: Envelope, fromPeerId: string | null): Promise<void>;
  sendTracked(
    peerId: string,
    bytes: Uint8Array,
  ): { admitted: Promise<boolean>; acked: Promise<boolean>; relayed: boolean } | undefined;
}

/** Options of `Messaging`. */
export interface MessagingOptions {
  readonly me: string;
  readonly author: Author;
  readonly seal: SealCache;
  readonly mesh: MessagingMesh;
  readonly db: Database;
  readonly repo: MessagesRepo;
  readonly events: EventBus;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now?: () => number;
  /** Display and device names of a peer, shown on its messages. */
  readonly nameOf?: (peerId: string) => { display: string | null; device: string | null };
}

function textOf(json: string): string | undefined {
  try {
    const v = JSON.parse(json);
    return typeof v?.text === "string" ? v.text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The row for an envelope received from a peer: its header fields, with
 * copies of its id and bytes (they may be views into a larger frame).
 */
export function receivedRow(
  env: Envelope,
  receivedAt: number,
  local:
    & Pick<NewMessage, "peer" | "channelId" | "content" | "state" | "fromPending">
    & Partial<Pick<NewMessage, "recipient">>,
): NewMessage {
  return {
    id: env.id.slice(),
    kind: env.kind,
    stream: env.stream,
    origin: env.origin,
    seq: env.seq,
    originTs: env.timestamp,
    receivedAt,
    recipient: env.to || null,
    envelope: env.bytes.slice(),
    ...local,
  };
}

/** Sends and receives chat messages. */
export class Messaging {
  readonly #o: MessagingOptions;
  readonly #now: () => number;
  readonly #pumping = new Set<string>();
  readonly #again = new Set<string>();
  readonly #inFlight = new Set<string>();
  /** Per peer, the row id of the last queued message handed to a link. */
  readonly #cursors = new Map<string, number>();
  /** Envelopes just written, by hex id (bounded). */
  readonly #fresh = new Map<string, Uint8Array>();
  /** Queued messages per peer. */
  readonly #queued = new Map<string, number>();
  readonly #receipts = new Map<string, Uint8Array[]>();
  #receiptTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: MessagingOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** A stored message as the API shows it. */
  view(m: StoredMessage): MessageView {
    const outgoing = m.origin === this.#o.me;
    const names = this.#o.nameOf?.(m.origin);
    return {
      id: toHex(m.id),
      type: m.kind === Kind.Direct ? "direct" : "broadcast",
      origin: m.origin,
      outgoing,
      peer_id: m.peer,
      origin_name: names?.display ?? null,
      origin_device_name: names?.device ?? null,
      content: (m.content && textOf(m.content)) ?? "",
      timestamp: new Date(m.originTs).toISOString(),
      received_at: new Date(m.receivedAt).toISOString(),
      seq: m.seq,
      state: m.state === null || m.state === "unreceipted" ? "received" : m.state,
      from_pending_peer: m.fromPending,
    };
  }

  static #checkText(text: string): void {
    if (text.length === 0) {
      throw new CanopyError("validation_failed", "content must not be empty", { field: "content" });
    }
    if (text.length > MAX_TEXT_LENGTH) {
      throw new CanopyError(
        "validation_failed",
        `content must be at most ${MAX_TEXT_LENGTH} characters`,
        {
          field: "content",
        },
      );
    }
  }

  async #write(
    kind: typeof Kind.Direct | typeof Kind.Broadcast | typeof Kind.Receipt,
    stream: string,
    to: string | null,
    body: (id: Uint8Array) => Promise<Uint8Array> | Uint8Array,
    content: string | null,
  ): Promise<{ env: Envelope; stored: StoredMessage }> {
    const written = await this.#o.author.write({
      kind,
      stream,
      to,
      body,
      content,
      state: to ? "queued" : null,
    });
    if (to) {
      this.#remember(written.stored.id, written.env.bytes);
      this.#queued.set(to, this.#queuedCount(to) + 1);
    }
    return written;
  }

  /** Sends a direct message, sealed to the recipient (SPEC §4.4). */
  async sendDirect(peerId: string, text: string): Promise<MessageView> {
    Messaging.#checkText(text);
    const peer = this.#o.mesh.peers.get(peerId);
    if (!peer || !peer.x25519Key) {
      throw new CanopyError(
        "not_found",
        `Unknown peer ${peerId}: import its invite code first`,
        { field: "peer_id" },
      );
    }
    if (peer.trust === "blocked") {
      throw new CanopyError("conflict", `Peer ${peerId} is blocked`, { field: "peer_id" });
    }
    if (
      this.#queuedCount(peerId) >= MAX_QUEUED_PER_PEER ||
      this.#o.mesh.congested(LINK_CONGESTION_LIMIT, peerId)
    ) {
      throw new CanopyError(
        "rate_limited",
        `Too many messages waiting for ${peerId}; retry shortly`,
        {
          retryAfter: 1,
        },
      );
    }
    const x25519 = peer.x25519Key;
    const content = JSON.stringify({ text });
    const { stored } = await this.#write(
      Kind.Direct,
      directStream(this.#o.me, peerId),
      peerId,
      (id) => this.#o.seal.seal(x25519, utf8(content), id),
      content,
    );
    const view = this.view(stored);
    this.#o.events.publish("message", { message: view });
    this.kick(peerId);
    return view;
  }

  /** Sends a broadcast to every connected peer, flooded through the mesh. */
  async sendBroadcast(text: string): Promise<{ view: MessageView; peers: number }> {
    Messaging.#checkText(text);
    if (this.#o.mesh.congested(LINK_CONGESTION_LIMIT)) {
      throw new CanopyError("rate_limited", "Peers are not keeping up; retry shortly", {
        retryAfter: 1,
      });
    }
    const content = JSON.stringify({ text });
    const { env, stored } = await this.#write(
      Kind.Broadcast,
      BROADCAST_STREAM,
      null,
      () => utf8(content),
      content,
    );
    const peers = this.#o.mesh.acceptedLinkCount();
    void this.#o.mesh.flood(env, null);
    const view = this.view(stored);
    this.#o.events.publish("message", { message: view });
    return { view, peers };
  }

  // ---- outbox --------------------------------------------------------------------------------

  /** Starts (or continues) delivering queued messages to a peer. */
  kick(peerId: string): void {
    if (this.#closed) return;
    if (this.#pumping.has(peerId)) {
      this.#again.add(peerId);
      return;
    }
    void this.#pump(peerId);
  }

  /** Kicks every peer with queued messages that is connected. */
  kickAll(): void {
    for (const peer of this.#o.repo.queuedRecipients()) {
      if (this.#o.mesh.isReachable(peer)) this.kick(peer);
    }
  }

  /**
   * Starts over from the oldest queued message for a peer: after a link or
   * route appears, or a send was not acknowledged (PROTOCOL §5, §7.5).
   */
  rewind(peerId: string): void {
    this.#cursors.delete(peerId);
    this.kick(peerId);
  }

  async #pump(peerId: string): Promise<void> {
    this.#pumping.add(peerId);
    try {
      do {
        this.#again.delete(peerId);
        while (!this.#closed) {
          if (!this.#o.mesh.isReachable(peerId)) return;
          const cursor = this.#cursors.get(peerId) ?? 0;
          const rows = this.#o.repo.queuedIds(peerId, cursor, OUTBOX_BATCH);
          if (rows.length === 0) break;
          for (const row of rows) {
            this.#cursors.set(peerId, row.rowid);
            const key = toHex(row.id);
            if (this.#inFlight.has(key)) continue;
            const bytes = this.#fresh.get(key) ?? this.#o.repo.envelope(row.id);
            this.#fresh.delete(key);
            if (!bytes) continue;
            const sending = this.#o.mesh.sendTracked(peerId, bytes);
            if (!sending) {
              this.#cursors.set(peerId, row.rowid - 1);
              return;
            }
            this.#inFlight.add(key);
            sending.acked.then((ok) => {
              this.#inFlight.delete(key);
              if (!ok) return this.rewind(peerId);
              // Through a relay the ack only says the relay passed it on: the
              // message stays queued (and is sent again on the next rewind)
              // until its receipt.
              if (!sending.relayed) this.#advance([row.id], "sent", peerId);
            });
            if (!(await sending.admitted)) return;
          }
        }
      } while (this.#again.has(peerId) && !this.#closed);
    } catch (e) {
      this.#o.log.warn("outbox pump failed", { peer: peerId, error: e });
    } finally {
      this.#pumping.delete(peerId);
    }
  }

  /** Remembers the bytes of an envelope just written, so the pump need not read them back. */
  #remember(id: Uint8Array, bytes: Uint8Array): void {
    if (this.#fresh.size >= FRESH_ENVELOPES) this.#fresh.delete(this.#fresh.keys().next().value!);
    this.#fresh.set(toHex(id), bytes);
  }

  /** Queued messages per peer, counted in memory (read from storage once per peer). */
  #queuedCount(peerId: string): number {
    let n = this.#queued.get(peerId);
    if (n === undefined) {
      n = this.#o.repo.queuedCount(peerId);
      this.#queued.set(peerId, n);
    }
    return n;
  }

  #advance(ids: Uint8Array[], state: "sent" | "delivered" | "failed", recipient: string): void {
    if (this.#closed) return;
    this.#o.db.batch(() => this.#o.repo.advanceState(ids, state, this.#now(), recipient)).then(
      (changed) => {
        if (changed.left > 0 && this.#queued.has(recipient)) {
          this.#queued.set(recipient, Math.max(0, this.#queued.get(recipient)! - changed.left));
        }
        for (const id of changed.ids) {
          this.#o.events.publishLazy("delivery", () => ({
            id: toHex(id),
            peer_id: recipient,
            state,
          }));
        }
      },
    ).catch((e) => this.#o.log.warn("could not record delivery state", { error: e }));
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** Registers the kinds messaging stores with the router. */
  register(router: EnvelopeRouter): void {
    for (const kind of [Kind.Direct, Kind.Broadcast, Kind.Receipt]) {
      router.on(kind, (env, from) => this.receive(env, from));
    }
  }

  /** Stores an arriving envelope of a chat kind (the mesh verified it). */
  async receive(env: Envelope, from: Peer): Promise<"new" | "duplicate" | "rejected"> {
    if (this.#o.repo.has(env.id)) return "duplicate";
    let content: string | null = null;
    switch (env.kind) {
      case Kind.Direct: {
        try {
          content = fromUtf8(await this.#o.seal.open(env.body, env.id));
        } catch {
          this.#o.counters.count("undecryptable");
          return "rejected";
        }
        break;
      }
      case Kind.Broadcast:
        try {
          content = fromUtf8(env.body);
        } catch {
          content = null;
        }
        break;
      case Kind.Receipt:
        return await this.#receiveReceipt(env);
      default:
        throw new Error(`bug: messaging got kind ${env.kind}`);
    }
    if (content === null || textOf(content) === undefined) {
      this.#o.counters.count("bad_content");
      return "rejected";
    }
    const fromPending = from.trust === "pending" && from.peerId === env.origin;
    const direct = env.kind === Kind.Direct;
    const stored = await this.#store(
      env,
      content,
      env.origin,
      fromPending,
      direct ? "unreceipted" : null,
    );
    if (!stored) return "duplicate";
    if (env.kind === Kind.Direct) this.#queueReceipt(env.origin, env.id);
    this.#o.events.publishLazy("message", () => ({ message: this.view(stored) }));
    return "new";
  }

  async #store(
    env: Envelope,
    content: string | null,
    peer: string | null,
    fromPending: boolean,
    state: DeliveryState | null = null,
  ): Promise<StoredMessage | undefined> {
    const row = receivedRow(env, this.#now(), {
      peer,
      channelId: null,
      content,
      state,
      fromPending,
    });
    return await this.#o.db.batch(() => this.#o.repo.insertReturning(row));
  }

  async #receiveReceipt(env: Envelope): Promise<"new" | "duplicate" | "rejected"> {
    let ids: Uint8Array[];
    try {
      const body = JSON.parse(fromUtf8(env.body));
      if (!Array.isArray(body.ids) || body.ids.length > RECEIPT_MAX_IDS) throw new Error();
      ids = body.ids.map((h: unknown) => {
        if (typeof h !== "string" || !/^[0-9a-f]{32}$/.test(h)) throw new Error();
        return Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
      });
    } catch {
      this.#o.counters.count("bad_content");
      return "rejected";
    }
    const stored = await this.#store(env, null, env.origin, false);
    if (!stored) return "duplicate";
    this.#advance(ids, "delivered", env.origin);
    return "new";
  }

  #queueReceipt(origin: string, id: Uint8Array): void {
    const list = this.#receipts.get(origin) ?? [];
    list.push(id.slice());
    this.#receipts.set(origin, list);
    if (list.length >= RECEIPT_MAX_IDS) void this.#flushReceipts();
    else if (this.#receiptTimer === undefined) {
      this.#receiptTimer = setTimeout(() => void this.#flushReceipts(), RECEIPT_DELAY_MS);
    }
  }

  async #flushReceipts(): Promise<void> {
    clearTimeout(this.#receiptTimer);
    this.#receiptTimer = undefined;
    const batches = [...this.#receipts];
    this.#receipts.clear();
    for (const [origin, ids] of batches) {
      if (this.#closed) return;
      const body = utf8(JSON.stringify({ ids: ids.map(toHex) }));
      try {
        await this.#write(
          Kind.Receipt,
          directStream(this.#o.me, origin),
          origin,
          () => body,
          null,
        );
        await this.#o.db.batch(() => this.#o.repo.markReceipted(ids, this.#now()));
        this.kick(origin);
      } catch (e) {
        this.#o.log.warn("could not create a receipt", { peer: origin, error: e });
      }
    }
  }

  /** Queues receipts that a crash kept from being written, and starts every outbox. */
  start(): void {
    for (const { id, origin } of this.#o.repo.unreceipted(10 * RECEIPT_MAX_IDS)) {
      this.#queueReceipt(origin, id);
    }
    this.kickAll();
  }

  /** Lists messages for the API, newest first; `cursor` pages further back. */
  list(filter: {
    peerId?: string;
    channelId?: string;
    type?: "direct" | "broadcast";
    sinceMs?: number;
    beforeMs?: number;
    cursor?: number;
    limit: number;
  }): { messages: MessageView[]; nextCursor: number | null } {
    const kinds = filter.channelId !== undefined
      ? [Kind.ChannelPost]
      : filter.type === "direct"
      ? [Kind.Direct]
      : filter.type === "broadcast"
      ? [Kind.Broadcast]
      : filter.peerId
      ? [Kind.Direct]
      : [Kind.Direct, Kind.Broadcast];
    const { rows, nextCursor } = this.#o.repo.page({
      kinds,
      peer: filter.peerId,
      channelId: filter.channelId,
      sinceMs: filter.sinceMs,
      beforeMs: filter.beforeMs,
      beforeRowid: filter.cursor,
      limit: filter.limit,
    });
    return { messages: rows.map((m) => this.view(m)), nextCursor };
  }

  /** Stops timers and pumps; pending receipts are written first. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#receipts.size > 0) await this.#flushReceipts();
    this.#closed = true;
    clearTimeout(this.#receiptTimer);
  }
}
