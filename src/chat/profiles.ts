/**
 * Profiles (SPEC §6): this node's user profile (display name, bio, avatar)
 * and device profile (device name, description, avatar), published as a
 * signed, versioned card (PROTOCOL §4.3 kind 5, `seq` = version). Cards are
 * exchanged on connect, re-broadcast on change and forwarded through the
 * mesh; an older or equal version never replaces a newer one, and the
 * signature means no intermediary can forge one.
 * @module
 */
import type { Envelope } from "../mesh/wire/envelope.ts";
import { Kind, PROFILE_STREAM } from "../mesh/wire/envelope.ts";
import type { Link } from "../mesh/link.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { Counters } from "../mesh/counters.ts";
import type { ProfilesRepo } from "../store/profiles_repo.ts";
import type { Database } from "../store/sqlite.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { invalidField } from "../util/errors.ts";
import type { Author } from "./author.ts";
import type { EventBus } from "./events.ts";
import type { EnvelopeRouter } from "./router.ts";
import { parseAvatar } from "./avatar.ts";

/** Longest display or device name. */
export const MAX_NAME_LENGTH = 64;
/** Longest bio or description. */
export const MAX_ABOUT_LENGTH = 500;

/** The user half of a card. */
export interface UserProfile {
  display_name: string;
  bio: string;
  avatar: string | null;
}

/** The device half of a card. */
export interface DeviceProfile {
  device_name: string;
  description: string;
  avatar: string | null;
}

/** A card as stored and shown. */
export interface Card {
  user: UserProfile;
  device: DeviceProfile;
  version: number;
}

/** What profiles needs from the mesh. */
export interface ProfilesMesh {
  flood(env: Envelope, fromPeerId: string | null): Promise<void>;
  peers: {
    get(peerId: string): Peer | undefined;
    upsert(peerId: string, update: Partial<Peer>): Peer;
  };
}

/** Options of `Profiles`. */
export interface ProfilesOptions {
  readonly me: string;
  readonly defaultDeviceName: string;
  readonly author: Author;
  readonly mesh: ProfilesMesh;
  readonly db: Database;
  readonly repo: ProfilesRepo;
  readonly events: EventBus;
  readonly counters: Counters;
  readonly now: () => number;
}

function text(v: unknown, field: string, max: number, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== "string") throw invalidField(field, `${field} must be a string`);
  const t = v.trim();
  if (t.length > max) throw invalidField(field, `${field} must be at most ${max} characters`);
  return t;
}

function avatarOf(v: unknown, field: string, fallback: string | null): string | null {
  if (v === undefined) return fallback;
  if (v === null || v === "") return null;
  return parseAvatar(v, field);
}

/** Parses a received card body strictly; undefined when malformed. */
export function parseCard(body: Uint8Array, version: number): Card | undefined {
  try {
    const j = JSON.parse(fromUtf8(body));
    const user: UserProfile = {
      display_name: text(j.user?.display_name, "display_name", MAX_NAME_LENGTH, ""),
      bio: text(j.user?.bio, "bio", MAX_ABOUT_LENGTH, ""),
      avatar: avatarOf(j.user?.avatar, "avatar", null),
    };
    const device: DeviceProfile = {
      device_name: text(j.device?.device_name, "device_name", MAX_NAME_LENGTH, ""),
      description: text(j.device?.description, "description", MAX_ABOUT_LENGTH, ""),
      avatar: avatarOf(j.device?.avatar, "avatar", null),
    };
    return { user, device, version };
  } catch {
    return undefined;
  }
}

/** Owns this node's profile and everyone's cards. */
export class Profiles {
  constructor(private readonly o: ProfilesOptions) {}

  /** Registers kind 5 with the router. */
  register(router: EnvelopeRouter): void {
    router.on(Kind.ProfileCard, (env, from) => this.receive(env, from));
  }

  /** This node's card (defaults before the first edit). */
  mine(): Card {
    return this.cardOf(this.o.me) ?? {
      user: { display_name: "", bio: "", avatar: null },
      device: { device_name: this.o.defaultDeviceName, description: "", avatar: null },
      version: 0,
    };
  }

  /** Cards read back from storage, by peer (names are shown on every message). */
  readonly #cache = new Map<string, Card | null>();

  /** The latest card known for a peer. */
  cardOf(peerId: string): Card | undefined {
    const cached = this.#cache.get(peerId);
    if (cached !== undefined) return cached ?? undefined;
    const stored = this.o.repo.get(peerId);
    const card = stored ? { ...(JSON.parse(stored.card) as Card), version: stored.seq } : null;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(peerId, card);
    return card ?? undefined;
  }

  /** Publishes the default card once, so peers see this node's device name before any edit. */
  ensurePublished(): Promise<void> {
    return this.#serial(async () => {
      if (this.o.repo.seq(this.o.me) === 0) {
        const cur = this.mine();
        await this.#publish({ user: cur.user, device: cur.device });
      }
    });
  }

  /** Profile edits, one at a time: each starts from the card the previous one wrote. */
  #queue: Promise<unknown> = Promise.resolve();

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Updates the user profile; fields left out keep their value. */
  updateUser(body: Record<string, unknown>): Promise<Card> {
    return this.#serial(() => {
      const cur = this.mine();
      return this.#publish({
        user: {
          display_name: text(
            body.display_name,
            "display_name",
            MAX_NAME_LENGTH,
            cur.user.display_name,
          ),
          bio: text(body.bio, "bio", MAX_ABOUT_LENGTH, cur.user.bio),
          avatar: avatarOf(body.avatar, "avatar", cur.user.avatar),
        },
        device: cur.device,
      });
    });
  }

  /** Updates the device profile; fields left out keep their value. */
  updateDevice(body: Record<string, unknown>): Promise<Card> {
    return this.#serial(() => {
      const cur = this.mine();
      const name = text(body.device_name, "device_name", MAX_NAME_LENGTH, cur.device.device_name);
      if (name === "") throw invalidField("device_name", "device_name must not be empty");
      return this.#publish({
        user: cur.user,
        device: {
          device_name: name,
          description: text(
            body.description,
            "description",
            MAX_ABOUT_LENGTH,
            cur.device.description,
          ),
          avatar: avatarOf(body.avatar, "avatar", cur.device.avatar),
        },
      });
    });
  }

  async #publish(card: { user: UserProfile; device: DeviceProfile }): Promise<Card> {
    const version = this.o.repo.seq(this.o.me) + 1;
    const json = JSON.stringify(card);
    const env = await this.o.author.sign({
      kind: Kind.ProfileCard,
      stream: PROFILE_STREAM,
      body: utf8(json),
      seq: version,
    });
    await this.o.db.batch(() =>
      this.o.repo.put({
        peerId: this.o.me,
        seq: version,
        envelope: env.bytes,
        card: json,
        receivedAt: this.o.now(),
      })
    );
    this.#cache.delete(this.o.me);
    const full = { ...card, version };
    this.o.events.publish("profile_updated", { peer_id: this.o.me, profile: full });
    void this.o.mesh.flood(env, null);
    return full;
  }

  /** Stores a newer card; an older or equal version is a rollback and is refused. */
  async receive(env: Envelope, _from: Peer): Promise<"new" | "duplicate" | "rejected"> {
    const held = this.o.repo.seq(env.origin);
    if (env.seq <= held) {
      if (env.seq < held) this.o.counters.count("profile_rollback");
      return "duplicate";
    }
    const card = parseCard(env.body, env.seq);
    if (!card) {
      this.o.counters.count("bad_content");
      return "rejected";
    }
    const json = JSON.stringify({ user: card.user, device: card.device });
    const stored = await this.o.db.batch(() =>
      this.o.repo.put({
        peerId: env.origin,
        seq: env.seq,
        envelope: env.bytes.slice(),
        card: json,
        receivedAt: this.o.now(),
      })
    );
    if (!stored) return "duplicate";
    this.#cache.delete(env.origin);
    if (this.o.mesh.peers.get(env.origin) && card.user.display_name) {
      this.o.mesh.peers.upsert(env.origin, { name: card.user.display_name });
    }
    this.o.events.publish("profile_updated", { peer_id: env.origin, profile: card });
    return "new";
  }

  /** Sends every card held (ours included) to a newly linked peer (SPEC §6); only ours when `ownOnly`. */
  async sendAll(link: Link, ownOnly = false): Promise<void> {
    for (const stored of this.o.repo.all()) {
      if (stored.peerId === link.peerId || (ownOnly && stored.peerId !== this.o.me)) continue;
      if (!(await link.send(stored.envelope).admitted)) return;
    }
  }
}
