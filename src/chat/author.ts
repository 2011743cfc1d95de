/**
 * Writing this node's own envelopes (PROTOCOL §4): allocating per-stream
 * sequence numbers, signing, and storing them in one place, for messages,
 * receipts, channel traffic and introductions alike.
 * @module
 */
import { randomBytes, type SigningKey } from "../crypto/mod.ts";
import { type Envelope, type KindCode, sealEnvelope } from "../mesh/wire/envelope.ts";
import type { Database } from "../store/sqlite.ts";
import type { DeliveryState, MessagesRepo, StoredMessage } from "../store/messages_repo.ts";

/** Options of `Author`. */
export interface AuthorOptions {
  readonly me: string;
  readonly signing: SigningKey;
  readonly db: Database;
  readonly repo: MessagesRepo;
  readonly now: () => number;
}

/** What to write. */
export interface Draft {
  readonly kind: KindCode;
  readonly stream: string;
  readonly to?: string | null;
  /** The body; gets the new envelope id (sealed bodies bind to it). */
  readonly body: (id: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  /** Readable content kept at rest, when there is some. */
  readonly content?: string | null;
  readonly channelId?: string | null;
  readonly state?: DeliveryState | null;
  readonly ttl?: number;
}

/** Creates and stores this node's envelopes. */
export class Author {
  readonly #seqs = new Map<string, number>();

  constructor(private readonly o: AuthorOptions) {}

  /** Reserves the next seq of ours in `stream` (no gaps: released on failure). */
  #next(stream: string): number {
    const next = (this.#seqs.get(stream) ?? this.o.repo.maxSeq(stream, this.o.me)) + 1;
    this.#seqs.set(stream, next);
    return next;
  }

  #release(stream: string, seq: number): void {
    if (this.#seqs.get(stream) === seq) this.#seqs.set(stream, seq - 1);
  }

  /** Signs an envelope with an explicit seq, without storing it (profile cards). */
  sign(draft: Omit<Draft, "body"> & { body: Uint8Array; seq: number }): Promise<Envelope> {
    return sealEnvelope({
      kind: draft.kind,
      id: randomBytes(16),
      timestamp: this.o.now(),
      seq: draft.seq,
      stream: draft.stream,
      to: draft.to ?? "",
      body: draft.body,
      ttl: draft.ttl,
    }, this.o.signing);
  }

  /** Creates, signs and stores an envelope in its stream; returns it and its row. */
  async write(draft: Draft): Promise<{ env: Envelope; stored: StoredMessage }> {
    const id = randomBytes(16);
    const seq = this.#next(draft.stream);
    try {
      const env = await sealEnvelope({
        kind: draft.kind,
        id,
        timestamp: this.o.now(),
        seq,
        stream: draft.stream,
        to: draft.to ?? "",
        body: await draft.body(id),
        ttl: draft.ttl,
      }, this.o.signing);
      const stored = await this.o.db.batch(() => {
        const row = this.o.repo.insertReturning({
          id,
          kind: draft.kind,
          stream: draft.stream,
          origin: this.o.me,
          seq,
          originTs: env.timestamp,
          receivedAt: this.o.now(),
          recipient: draft.to ?? null,
          peer: draft.to ?? null,
          channelId: draft.channelId ?? null,
          envelope: env.bytes,
          content: draft.content ?? null,
          state: draft.state ?? null,
          fromPending: false,
        });
        if (!row) throw new Error(`bug: seq ${seq} of ${draft.stream} was already used`);
        return row;
      });
      return { env, stored };
    } catch (e) {
      this.#release(draft.stream, seq);
      throw e;
    }
  }
}
