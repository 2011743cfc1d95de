/**
 * Rows of the `messages` table (every envelope this node holds, sealed at
 * rest) and of `stream_heads` (per stream and origin, the highest
 * contiguous `seq` held — the basis of catch-up, PROTOCOL §7.2).
 * @module
 */
import type { Database } from "./sqlite.ts";
import type { AtRestCipher } from "./at_rest.ts";
import { toHex } from "../util/bytes.ts";

/**
 * Delivery states (SPEC §5). Outgoing direct messages go queued → sent →
 * delivered. Incoming ones are "unreceipted" until the receipt to their
 * origin is stored, then "received" — so a crash never loses a receipt.
 */
export type DeliveryState = "queued" | "sent" | "delivered" | "failed" | "unreceipted" | "received";

/** What is stored for one envelope. */
export interface NewMessage {
  id: Uint8Array;
  kind: number;
  stream: string;
  origin: string;
  seq: number;
  originTs: number;
  receivedAt: number;
  recipient: string | null;
  /** The other party of a direct conversation, from this node's point of view. */
  peer: string | null;
  channelId: string | null;
  envelope: Uint8Array;
  /** Readable content (JSON text), when this node can read it. */
  content: string | null;
  state: DeliveryState | null;
  fromPending: boolean;
}

/** A stored message as read back (everything but the envelope, plus its row and state time). */
export interface StoredMessage extends Omit<NewMessage, "envelope"> {
  rowid: number;
  stateAt: number | null;
}

/** Filters of `list` (SPEC §8 `/messages`). */
export interface MessageFilter {
  kinds: readonly number[];
  peer?: string;
  channelId?: string;
  /** Only messages stored after this row id (cursor) … */
  afterRowid?: number;
  /** … or before it. */
  beforeRowid?: number;
  sinceMs?: number;
  beforeMs?: number;
  limit: number;
}

interface Raw {
  rowid: number;
  id: Uint8Array;
  kind: number;
  stream: string;
  origin: string;
  seq: number;
  origin_ts: number;
  received_at: number;
  recipient: string | null;
  peer: string | null;
  channel_id: string | null;
  envelope_enc: Uint8Array;
  content_enc: Uint8Array | null;
  state: DeliveryState | null;
  state_at: number | null;
  from_pending: number;
}

const COLUMNS = `rowid, id, kind, stream, origin, seq, origin_ts, received_at, recipient, peer,
  channel_id, content_enc, state, state_at, from_pending`;

/** Repository over `messages` and `stream_heads`. */
export class MessagesRepo {
  constructor(private readonly db: Database, private readonly cipher: AtRestCipher) {
    db.onRollback(() => this.#heads.clear());
  }

  #view(r: Raw): StoredMessage {
    const hex = toHex(r.id);
    return {
      rowid: r.rowid,
      id: r.id,
      kind: r.kind,
      stream: r.stream,
      origin: r.origin,
      seq: r.seq,
      originTs: r.origin_ts,
      receivedAt: r.received_at,
      recipient: r.recipient,
      peer: r.peer,
      channelId: r.channel_id,
      content: r.content_enc
        ? this.cipher.openText(r.content_enc, `messages.content:${hex}`)
        : null,
      state: r.state,
      stateAt: r.state_at,
      fromPending: r.from_pending === 1,
    };
  }

  /** True when an envelope with this id is stored (persistent dedup, PROTOCOL §4.4). */
  has(id: Uint8Array): boolean {
    return this.db.get("SELECT 1 AS x FROM messages WHERE id = ?", id) !== undefined;
  }

  /**
   * Stores a message and advances its stream head. Returns false (and
   * stores nothing) when the id, or the (stream, origin, seq) slot, is taken.
   * Call inside a transaction (or `db.batch`).
   */
  insert(m: NewMessage): boolean {
    const hex = toHex(m.id);
    const r = this.db.run(
      `INSERT OR IGNORE INTO messages (id, kind, stream, origin, seq, origin_ts, received_at,
         recipient, peer, channel_id, envelope_enc, content_enc, state, state_at, from_pending)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.id,
      m.kind,
      m.stream,
      m.origin,
      m.seq,
      m.originTs,
      m.receivedAt,
      m.recipient,
      m.peer,
      m.channelId,
      this.cipher.seal(m.envelope, `messages.envelope:${hex}`),
      m.content === null ? null : this.cipher.seal(m.content, `messages.content:${hex}`),
      m.state,
      m.state ? m.receivedAt : null,
      m.fromPending ? 1 : 0,
    );
    if (r.changes === 0) return false;
    this.#lastRowid = r.lastInsertRowid;
    this.#advanceHead(m.stream, m.origin, m.seq);
    return true;
  }

  #lastRowid = 0;

  /** `insert`, returning the stored row as `get` would (without reading it back), or undefined. */
  insertReturning(m: NewMessage): StoredMessage | undefined {
    if (!this.insert(m)) return undefined;
    const { envelope: _, ...fields } = m;
    return { ...fields, rowid: this.#lastRowid, stateAt: m.state ? m.receivedAt : null };
  }

  /** Heads read from or written to `stream_heads`, by "stream origin" (a cache of the table). */
  readonly #heads = new Map<string, { contiguous: number; max_seq: number }>();

  #advanceHead(stream: string, origin: string, seq: number): void {
    const cacheKey = `${stream} ${origin}`;
    const head = this.#heads.get(cacheKey) ?? this.db.get<{ contiguous: number; max_seq: number }>(
      "SELECT contiguous, max_seq FROM stream_heads WHERE stream = ? AND origin = ?",
      stream,
      origin,
    );
    let contiguous = head?.contiguous ?? 0;
    const maxSeq = Math.max(head?.max_seq ?? 0, seq);
    if (seq === contiguous + 1) {
      contiguous = seq;
      // Fill forward over messages that arrived out of order earlier.
      if (maxSeq > contiguous) {
        const rows = this.db.all<{ seq: number }>(
          "SELECT seq FROM messages WHERE stream = ? AND origin = ? AND seq > ? ORDER BY seq",
          stream,
          origin,
          contiguous,
        );
        for (const row of rows) {
          if (row.seq !== contiguous + 1) break;
          contiguous = row.seq;
        }
      }
    }
    this.db.run(
      `INSERT INTO stream_heads (stream, origin, contiguous, max_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT(stream, origin) DO UPDATE SET contiguous = excluded.contiguous,
         max_seq = excluded.max_seq`,
      stream,
      origin,
      contiguous,
      maxSeq,
    );
    if (this.#heads.size >= 50_000) this.#heads.clear();
    this.#heads.set(cacheKey, { contiguous, max_seq: maxSeq });
  }

  /** The highest seq `origin` used in `stream` (0 when none). */
  maxSeq(stream: string, origin: string): number {
    return this.db.get<{ m: number }>(
      "SELECT max_seq AS m FROM stream_heads WHERE stream = ? AND origin = ?",
      stream,
      origin,
    )?.m ?? 0;
  }

  /** Per origin, the highest contiguous seq held in `stream`. */
  heads(stream: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (
      const r of this.db.all<{ origin: string; contiguous: number }>(
        "SELECT origin, contiguous FROM stream_heads WHERE stream = ?",
        stream,
      )
    ) out[r.origin] = r.contiguous;
    return out;
  }

  /** Per origin, the highest seq held in `stream`. */
  maxSeqs(stream: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (
      const r of this.db.all<{ origin: string; max_seq: number }>(
        "SELECT origin, max_seq FROM stream_heads WHERE stream = ?",
        stream,
      )
    ) out[r.origin] = r.max_seq;
    return out;
  }

  /** Every stream name this node holds messages in. */
  streams(): string[] {
    return this.db.all<{ stream: string }>("SELECT DISTINCT stream FROM stream_heads").map((r) =>
      r.stream
    );
  }

  /** Envelopes of `stream` by `origin` with seq > `after`, oldest first. */
  envelopesAfter(stream: string, origin: string, after: number, limit: number): Uint8Array[] {
    return this.db.all<{ id: Uint8Array; envelope_enc: Uint8Array }>(
      `SELECT id, envelope_enc FROM messages WHERE stream = ? AND origin = ? AND seq > ?
       ORDER BY seq LIMIT ?`,
      stream,
      origin,
      after,
      limit,
    ).map((r) => this.cipher.open(r.envelope_enc, `messages.envelope:${toHex(r.id)}`));
  }

  /** The stored envelope of a message. */
  envelope(id: Uint8Array): Uint8Array | undefined {
    const r = this.db.get<{ envelope_enc: Uint8Array }>(
      "SELECT envelope_enc FROM messages WHERE id = ?",
      id,
    );
    return r ? this.cipher.open(r.envelope_enc, `messages.envelope:${toHex(id)}`) : undefined;
  }

  get(id: Uint8Array): StoredMessage | undefined {
    const r = this.db.get<Raw>(`SELECT ${COLUMNS} FROM messages WHERE id = ?`, id);
    return r ? this.#view(r) : undefined;
  }

  /** Messages matching a filter, newest first. */
  list(f: MessageFilter): StoredMessage[] {
    const where = [`kind IN (${f.kinds.map(() => "?").join(",")})`];
    const params: (string | number)[] = [...f.kinds];
    const conditions: [string, string | number | undefined][] = [
      ["peer = ?", f.peer],
      ["channel_id = ?", f.channelId],
      ["rowid > ?", f.afterRowid],
      ["rowid < ?", f.beforeRowid],
      ["received_at >= ?", f.sinceMs],
      ["received_at < ?", f.beforeMs],
    ];
    for (const [sql, value] of conditions) {
      if (value === undefined) continue;
      where.push(sql);
      params.push(value);
    }
    return this.db.all<Raw>(
      `SELECT ${COLUMNS} FROM messages WHERE ${where.join(" AND ")} ORDER BY rowid DESC LIMIT ?`,
      ...params,
      f.limit,
    ).map((r) => this.#view(r));
  }

  /** One page of `list`: a full page carries the cursor (`beforeRowid`) of the next one. */
  page(f: MessageFilter): { rows: StoredMessage[]; nextCursor: number | null } {
    const rows = this.list(f);
    return { rows, nextCursor: rows.length === f.limit ? rows[rows.length - 1].rowid : null };
  }

  /** Outgoing messages to `recipient` still waiting to be sent, after a row id, oldest first. */
  queuedIds(
    recipient: string,
    afterRowid: number,
    limit: number,
  ): { rowid: number; id: Uint8Array }[] {
    return this.db.all<{ rowid: number; id: Uint8Array }>(
      `SELECT rowid, id FROM messages WHERE recipient = ? AND state = 'queued'
       AND rowid > ? ORDER BY rowid LIMIT ?`,
      recipient,
      afterRowid,
      limit,
    );
  }

  /** Number of queued outgoing messages per recipient. */
  queuedCount(recipient: string): number {
    return this.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM messages WHERE recipient = ? AND state = 'queued'",
      recipient,
    )?.n ?? 0;
  }

  /** Recipients with queued messages. */
  queuedRecipients(): string[] {
    return this.db.all<{ r: string }>(
      "SELECT DISTINCT recipient AS r FROM messages WHERE state = 'queued'",
    ).map((x) => x.r);
  }

  /**
   * Moves outgoing messages to `recipient` forward in their delivery state
   * (queued → sent → delivered; never backwards). Returns the ids that
   * changed and how many of them were `queued` before.
   */
  advanceState(
    ids: readonly Uint8Array[],
    state: "sent" | "delivered" | "failed",
    at: number,
    recipient: string,
  ): { ids: Uint8Array[]; left: number } {
    const earlier: Record<string, string[]> = {
      sent: ["queued"],
      delivered: ["queued", "sent"],
      failed: ["queued", "sent"],
    };
    const from = earlier[state];
    if (!from) throw new RangeError(`advanceState: not an outgoing state: ${state}`);
    const out: Uint8Array[] = [];
    let left = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => "?").join(",");
      left += this.db.get<{ n: number }>(
        `SELECT count(*) AS n FROM messages WHERE recipient = ? AND state = 'queued' AND id IN (${marks})`,
        recipient,
        ...chunk,
      )?.n ?? 0;
      const rows = this.db.all<{ id: Uint8Array }>(
        `UPDATE messages SET state = ?, state_at = ?
         WHERE recipient = ? AND state IN (${from.map(() => "?").join(",")}) AND id IN (${marks})
         RETURNING id`,
        state,
        at,
        recipient,
        ...from,
        ...chunk,
      );
      out.push(...rows.map((r) => r.id));
    }
    return { ids: out, left };
  }

  /** Incoming messages whose receipt is not yet written, oldest first. */
  unreceipted(limit: number): { id: Uint8Array; origin: string }[] {
    return this.db.all<{ id: Uint8Array; origin: string }>(
      "SELECT id, origin FROM messages WHERE state = 'unreceipted' ORDER BY rowid LIMIT ?",
      limit,
    );
  }

  /** Marks incoming messages as receipted. */
  markReceipted(ids: readonly Uint8Array[], at: number): void {
    for (const id of ids) {
      this.db.run(
        "UPDATE messages SET state = 'received', state_at = ? WHERE id = ? AND state = 'unreceipted'",
        at,
        id,
      );
    }
  }

  /** Message count by kind (diagnostics). */
  countByKind(): Record<number, number> {
    const out: Record<number, number> = {};
    for (
      const r of this.db.all<{ kind: number; n: number }>(
        "SELECT kind, count(*) AS n FROM messages GROUP BY kind",
      )
    ) {
      out[r.kind] = r.n;
    }
    return out;
  }
}
