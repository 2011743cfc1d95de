/**
 * Channels (SPEC §8, PROTOCOL §4.3 kinds 3–4): mesh-wide public rooms.
 * A channel id is self-certifying — the first 16 hex digits of
 * SHA-256(origin Ed25519 key ‖ salt) — so only its origin can write its
 * metadata; anyone can post. Posts and metadata share the stream
 * `c/<id>`, flood through the mesh and are caught up like broadcasts.
 * @module
 */
import { randomBytes, sha256 } from "../crypto/mod.ts";
import type { Envelope } from "../mesh/wire/envelope.ts";
import { channelStream, Kind } from "../mesh/wire/envelope.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { Counters } from "../mesh/counters.ts";
import type { ChannelsRepo } from "../store/channels_repo.ts";
import type { MessagesRepo, StoredMessage } from "../store/messages_repo.ts";
import type { Database } from "../store/sqlite.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { concatBytes, fromUtf8, toHex, utf8 } from "../util/bytes.ts";
import { CanopyError, invalidField } from "../util/errors.ts";
import type { Author } from "./author.ts";
import type { EventBus } from "./events.ts";
import type { EnvelopeRouter } from "./router.ts";
import { MAX_TEXT_LENGTH, receivedRow } from "./messaging.ts";

/** Longest channel name. */
export const MAX_CHANNEL_NAME = 64;
/** Longest channel description. */
export const MAX_CHANNEL_DESCRIPTION = 500;
const CHANNEL_ID_RE = /^[0-9a-f]{16}$/;

/** Channel metadata as carried in kind 4 bodies. */
interface Meta {
  channel_id: string;
  salt: string;
  name: string;
  description: string;
  device_name: string;
  created_at: number;
}

/** A channel as the API shows it. */
export interface ChannelView {
  id: string;
  name: string;
  description: string;
  origin_peer_id: string;
  origin_device_name: string;
  origin_display_name: string | null;
  mine: boolean;
  created_at: string;
  post_count: number;
  last_post_at: string | null;
}

/** A post as the API shows it. */
export interface PostView {
  id: string;
  channel_id: string;
  origin: string;
  origin_display_name: string | null;
  outgoing: boolean;
  content: string;
  timestamp: string;
  received_at: string;
  seq: number;
}

/** Options of `Channels`. */
export interface ChannelsOptions {
  readonly me: string;
  readonly myKey: Uint8Array;
  readonly author: Author;
  readonly mesh: { flood(env: Envelope, fromPeerId: string | null): Promise<void> };
  readonly db: Database;
  readonly repo: ChannelsRepo;
  readonly messages: MessagesRepo;
  readonly events: EventBus;
  readonly counters: Counters;
  readonly now: () => number;
  /** This node's device name, put in the metadata of channels it creates. */
  readonly deviceName: () => string;
  /** A peer's display name, if known. */
  readonly displayName: (peerId: string) => string | null;
}

/** The id of a channel created by the holder of `key` with `salt`. */
export function channelIdOf(originKey: Uint8Array, salt: Uint8Array): string {
  return toHex(sha256(concatBytes(originKey, salt))).slice(0, 16);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Creates channels, posts, and stores what arrives. */
export class Channels {
  constructor(private readonly o: ChannelsOptions) {}

  register(router: EnvelopeRouter): void {
    router.on(Kind.ChannelMeta, (env, from) => this.receive(env, from));
    router.on(Kind.ChannelPost, (env, from) => this.receive(env, from));
  }

  #view(id: string): ChannelView | undefined {
    const c = this.o.repo.get(id);
    if (!c) return undefined;
    const meta = JSON.parse(c.meta) as Meta;
    const stats = this.o.repo.stats(id);
    return {
      id,
      name: meta.name,
      description: meta.description,
      origin_peer_id: c.origin,
      origin_device_name: meta.device_name,
      origin_display_name: this.o.displayName(c.origin),
      mine: c.origin === this.o.me,
      created_at: new Date(meta.created_at).toISOString(),
      post_count: stats.posts,
      last_post_at: iso(stats.lastPostAt),
    };
  }

  list(): ChannelView[] {
    return this.o.repo.all().map((c) => this.#view(c.id)!);
  }

  get(id: string): ChannelView {
    const view = CHANNEL_ID_RE.test(id) ? this.#view(id) : undefined;
    if (!view) throw new CanopyError("not_found", `No channel with id ${id}`);
    return view;
  }

  /** Creates a channel owned by this node and announces it mesh-wide. */
  async create(name: string, description = ""): Promise<ChannelView> {
    if (name.trim() === "" || name.length > MAX_CHANNEL_NAME) {
      throw invalidField("name", `name must be 1-${MAX_CHANNEL_NAME} characters`);
    }
    if (description.length > MAX_CHANNEL_DESCRIPTION) {
      throw invalidField(
        "description",
        `description must be at most ${MAX_CHANNEL_DESCRIPTION} characters`,
      );
    }
    const salt = randomBytes(16);
    const meta: Meta = {
      channel_id: channelIdOf(this.o.myKey, salt),
      salt: toBase64Url(salt),
      name: name.trim(),
      description: description.trim(),
      device_name: this.o.deviceName(),
      created_at: this.o.now(),
    };
    const json = JSON.stringify(meta);
    const { env, stored } = await this.o.author.write({
      kind: Kind.ChannelMeta,
      stream: channelStream(meta.channel_id),
      body: () => utf8(json),
      content: json,
      channelId: meta.channel_id,
    });
    await this.o.db.batch(() =>
      this.o.repo.put({
        id: meta.channel_id,
        origin: this.o.me,
        metaSeq: stored.seq,
        meta: json,
        createdAt: meta.created_at,
        updatedAt: this.o.now(),
      })
    );
    void this.o.mesh.flood(env, null);
    const view = this.#view(meta.channel_id)!;
    this.o.events.publish("channel", { channel: view });
    return view;
  }

  /** Throws not_found unless the channel is known (cheap: no post statistics). */
  #known(channelId: string): void {
    if (!CHANNEL_ID_RE.test(channelId) || !this.o.repo.get(channelId)) {
      throw new CanopyError("not_found", `No channel with id ${channelId}`);
    }
  }

  /** Posts to a channel. */
  async post(channelId: string, text: string): Promise<PostView> {
    this.#known(channelId);
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) {
      throw invalidField("content", `content must be 1-${MAX_TEXT_LENGTH} characters`);
    }
    const content = JSON.stringify({ text });
    const { env, stored } = await this.o.author.write({
      kind: Kind.ChannelPost,
      stream: channelStream(channelId),
      body: () => utf8(content),
      content,
      channelId,
    });
    void this.o.mesh.flood(env, null);
    const view = this.postView(stored);
    this.o.events.publish("channel_message", { message: view });
    return view;
  }

  postView(m: StoredMessage): PostView {
    let text = "";
    try {
      text = JSON.parse(m.content ?? "{}").text ?? "";
    } catch { /* empty */ }
    return {
      id: toHex(m.id),
      channel_id: m.channelId ?? "",
      origin: m.origin,
      origin_display_name: this.o.displayName(m.origin),
      outgoing: m.origin === this.o.me,
      content: text,
      timestamp: new Date(m.originTs).toISOString(),
      received_at: new Date(m.receivedAt).toISOString(),
      seq: m.seq,
    };
  }

  /** Posts of a channel, newest first; `cursor` pages further back. */
  posts(
    channelId: string,
    f: { sinceMs?: number; beforeMs?: number; cursor?: number; limit: number },
  ): { messages: PostView[]; nextCursor: number | null } {
    this.#known(channelId);
    const { rows, nextCursor } = this.o.messages.page({
      kinds: [Kind.ChannelPost],
      channelId,
      sinceMs: f.sinceMs,
      beforeMs: f.beforeMs,
      beforeRowid: f.cursor,
      limit: f.limit,
    });
    return { messages: rows.map((m) => this.postView(m)), nextCursor };
  }

  /** Stores channel metadata (only from the channel's origin) or a post. */
  async receive(env: Envelope, _from: Peer): Promise<"new" | "duplicate" | "rejected"> {
    if (this.o.messages.has(env.id)) return "duplicate";
    const channelId = env.stream.slice(2);
    let content: string;
    try {
      content = fromUtf8(env.body);
      JSON.parse(content);
    } catch {
      this.o.counters.count("bad_content");
      return "rejected";
    }
    let meta: Meta | undefined;
    if (env.kind === Kind.ChannelMeta) {
      meta = this.#checkMeta(env, channelId, content);
      if (!meta) return "rejected";
    } else if (typeof JSON.parse(content).text !== "string") {
      this.o.counters.count("bad_content");
      return "rejected";
    }
    const stored = await this.o.db.batch(() => {
      const row = this.o.messages.insertReturning(
        receivedRow(env, this.o.now(), {
          recipient: null,
          peer: null,
          channelId,
          content,
          state: null,
          fromPending: false,
        }),
      );
      if (row && meta) {
        this.o.repo.put({
          id: channelId,
          origin: env.origin,
          metaSeq: env.seq,
          meta: content,
          createdAt: meta.created_at,
          updatedAt: this.o.now(),
        });
      }
      return row;
    });
    if (!stored) return "duplicate";
    if (meta) this.o.events.publish("channel", { channel: this.#view(channelId) });
    else {
      this.o.events.publishLazy("channel_message", () => ({ message: this.postView(stored) }));
    }
    return "new";
  }

  #checkMeta(env: Envelope, channelId: string, content: string): Meta | undefined {
    try {
      const m = JSON.parse(content) as Meta;
      const salt = fromBase64Url(String(m.salt));
      const ok = m.channel_id === channelId && salt.length === 16 &&
        channelIdOf(env.originKey, salt) === channelId &&
        typeof m.name === "string" && m.name.length >= 1 && m.name.length <= MAX_CHANNEL_NAME &&
        typeof m.description === "string" && m.description.length <= MAX_CHANNEL_DESCRIPTION &&
        typeof m.device_name === "string" && m.device_name.length <= 64 &&
        Number.isSafeInteger(m.created_at);
      if (ok) return m;
      this.o.counters.count("channel_meta_forbidden");
    } catch {
      this.o.counters.count("bad_content");
    }
    return undefined;
  }
}
