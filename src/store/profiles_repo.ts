/**
 * The latest profile card of every peer (PROTOCOL §4.3 kind 5), sealed at
 * rest: the signed envelope (to pass on) and the parsed card (to show).
 * @module
 */
import type { Database } from "./sqlite.ts";
import type { AtRestCipher } from "./at_rest.ts";

/** A stored card. */
export interface StoredCard {
  peerId: string;
  seq: number;
  envelope: Uint8Array;
  card: string;
  receivedAt: number;
}

interface Raw {
  peer_id: string;
  seq: number;
  envelope_enc: Uint8Array;
  card_enc: Uint8Array;
  received_at: number;
}

/** Repository over `profiles`. */
export class ProfilesRepo {
  constructor(private readonly db: Database, private readonly cipher: AtRestCipher) {}

  #row(r: Raw): StoredCard {
    return {
      peerId: r.peer_id,
      seq: r.seq,
      envelope: this.cipher.open(r.envelope_enc, `profiles.envelope:${r.peer_id}`),
      card: this.cipher.openText(r.card_enc, `profiles.card:${r.peer_id}`),
      receivedAt: r.received_at,
    };
  }

  get(peerId: string): StoredCard | undefined {
    const r = this.db.get<Raw>("SELECT * FROM profiles WHERE peer_id = ?", peerId);
    return r ? this.#row(r) : undefined;
  }

  /** The seq of the stored card (0 when none). */
  seq(peerId: string): number {
    return this.db.get<{ seq: number }>("SELECT seq FROM profiles WHERE peer_id = ?", peerId)
      ?.seq ?? 0;
  }

  all(): StoredCard[] {
    return this.db.all<Raw>("SELECT * FROM profiles ORDER BY peer_id").map((r) => this.#row(r));
  }

  /** Stores a card if it is newer than the one held; returns whether it was. */
  put(card: StoredCard): boolean {
    return this.db.run(
      `INSERT INTO profiles (peer_id, seq, envelope_enc, card_enc, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(peer_id) DO UPDATE SET seq = excluded.seq, envelope_enc = excluded.envelope_enc,
         card_enc = excluded.card_enc, received_at = excluded.received_at
       WHERE excluded.seq > profiles.seq`,
      card.peerId,
      card.seq,
      this.cipher.seal(card.envelope, `profiles.envelope:${card.peerId}`),
      this.cipher.seal(card.card, `profiles.card:${card.peerId}`),
      card.receivedAt,
    ).changes === 1;
  }
}
