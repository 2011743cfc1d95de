/**
 * Channels this node knows (PROTOCOL §4.3 kinds 3–4): the latest metadata
 * of each, sealed at rest. Posts live in `messages`.
 * @module
 */
import type { Database } from "./sqlite.ts";
import type { AtRestCipher } from "./at_rest.ts";

/** A stored channel. */
export interface StoredChannel {
  id: string;
  origin: string;
  metaSeq: number;
  /** The metadata JSON. */
  meta: string;
  createdAt: number;
  updatedAt: number;
}

interface Raw {
  id: string;
  origin: string;
  meta_seq: number;
  meta_enc: Uint8Array;
  created_at: number;
  updated_at: number;
}

/** Repository over `channels`. */
export class ChannelsRepo {
  constructor(private readonly db: Database, private readonly cipher: AtRestCipher) {}

  #row(r: Raw): StoredChannel {
    return {
      id: r.id,
      origin: r.origin,
      metaSeq: r.meta_seq,
      meta: this.cipher.openText(r.meta_enc, `channels.meta:${r.id}`),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  get(id: string): StoredChannel | undefined {
    const r = this.db.get<Raw>("SELECT * FROM channels WHERE id = ?", id);
    return r ? this.#row(r) : undefined;
  }

  all(): StoredChannel[] {
    return this.db.all<Raw>("SELECT * FROM channels ORDER BY created_at, id").map((r) =>
      this.#row(r)
    );
  }

  /** Stores metadata if newer than what is held; returns whether it was. */
  put(c: StoredChannel): boolean {
    return this.db.run(
      `INSERT INTO channels (id, origin, meta_seq, meta_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET meta_seq = excluded.meta_seq, meta_enc = excluded.meta_enc,
         updated_at = excluded.updated_at
       WHERE excluded.meta_seq > channels.meta_seq AND excluded.origin = channels.origin`,
      c.id,
      c.origin,
      c.metaSeq,
      this.cipher.seal(c.meta, `channels.meta:${c.id}`),
      c.createdAt,
      c.updatedAt,
    ).changes === 1;
  }

  /** Post count and latest post time of a channel. */
  stats(id: string): { posts: number; lastPostAt: number | null } {
    const r = this.db.get<{ n: number; last: number | null }>(
      "SELECT count(*) AS n, max(received_at) AS last FROM messages WHERE channel_id = ? AND kind = 3",
      id,
    );
    return { posts: r?.n ?? 0, lastPostAt: r?.last ?? null };
  }
}
