/**
 * Catch-up (SPEC §5, PROTOCOL §7.2): on every link to an accepted peer both
 * sides send, per shared stream, the highest contiguous `seq` they hold for
 * each origin; each then sends what the other lacks, oldest first, as
 * ordinary flow-controlled ENVELOPE frames. Nothing depends on clocks, a
 * dropped link resumes from what is stored, and sync is transitive because
 * a node sends whatever it holds, whoever wrote it.
 * @module
 */
import type { Link } from "../mesh/link.ts";
import type { ControlMessage } from "../mesh/wire/frame.ts";
import { BROADCAST_STREAM, directStream } from "../mesh/wire/envelope.ts";
import type { Counters } from "../mesh/counters.ts";
import type { Logger } from "../util/log.ts";

/** Envelopes read from storage per batch (PROTOCOL §7.2). */
export const SYNC_BATCH = 500;
/** Largest summary part (bytes of JSON), under the 64 KiB control frame cap. */
export const SUMMARY_PART_BYTES = 48 * 1024;
/** Most origins a peer may list per stream, and most streams per summary. */
export const MAX_SUMMARY_ORIGINS = 10_000;
export const MAX_SUMMARY_STREAMS = 10_000;

/** Where sync reads what this node holds. */
export interface SyncStore {
  /** Every stream name held. */
  streams(): string[];
  /** Per origin, the highest contiguous seq held in `stream`. */
  heads(stream: string): Record<string, number>;
  /** Per origin, the highest seq held in `stream` (to know who has more). */
  maxSeqs(stream: string): Record<string, number>;
  /** Envelopes by `origin` in `stream` with seq > `after`, oldest first. */
  envelopesAfter(stream: string, origin: string, after: number, limit: number): Uint8Array[];
}

/** What sync needs from the mesh. */
export interface SyncMesh {
  handleControl(type: string, handler: (link: Link, message: ControlMessage) => void): void;
  link(peerId: string): Link | undefined;
}

/** Options of `SyncService`. */
export interface SyncOptions {
  readonly me: string;
  readonly mesh: SyncMesh;
  readonly store: SyncStore;
  readonly counters: Counters;
  readonly log: Logger;
  /** Only accepted peers get our streams (pending contact requests wait). */
  readonly isAccepted: (peerId: string) => boolean;
  /** False under relay policy `off`: then only our own envelopes are sent. */
  readonly forwardsOthers?: () => boolean;
  /** Told when a peer said it finished sending (tests, diagnostics). */
  readonly onDone?: (peerId: string, sent: number) => void;
}

/** True when `stream` may be exchanged with `peerId` (PROTOCOL §7.2). */
export function sharedWith(stream: string, me: string, peerId: string): boolean {
  return stream === BROADCAST_STREAM || stream.startsWith("c/") ||
    stream === directStream(me, peerId);
}

/** Runs catch-up on links. */
export class SyncService {
  readonly #o: SyncOptions;
  /** Per link, the summary parts received so far, and whether a send is running. */
  readonly #incoming = new Map<number, Record<string, Record<string, number>>>();
  readonly #sending = new Map<number, Promise<void>>();
  /** Summaries from peers not (yet) accepted, answered once they are. */
  readonly #deferred = new Map<
    string,
    { link: Link; heads: Record<string, Record<string, number>> }
  >();
  #closed = false;

  constructor(options: SyncOptions) {
    this.#o = options;
    options.mesh.handleControl("sync_summary", (link, m) => this.#onSummary(link, m));
    options.mesh.handleControl("sync_done", (link, m) => {
      const sent = typeof m.sent === "number" ? m.sent : 0;
      this.#o.onDone?.(link.peerId, sent);
    });
  }

  /** Sends our summary on a link (call when a link to an accepted peer comes up). */
  start(link: Link): void {
    if (this.#closed || link.isClosed) return;
    const streams: Record<string, Record<string, number>> = {};
    for (const stream of this.#o.store.streams()) {
      if (sharedWith(stream, this.#o.me, link.peerId)) {
        streams[stream] = this.#o.store.heads(stream);
      }
    }
    const direct = directStream(this.#o.me, link.peerId);
    streams[direct] ??= {};
    streams[BROADCAST_STREAM] ??= {};
    // Split into parts under the control frame cap.
    let part: Record<string, Record<string, number>> = {};
    let size = 0;
    const flush = (last: boolean) => {
      link.sendControl({ t: "sync_summary", streams: part, last });
      part = {};
      size = 0;
    };
    for (const [stream, heads] of Object.entries(streams)) {
      const cost = JSON.stringify(heads).length + stream.length + 8;
      if (size > 0 && size + cost > SUMMARY_PART_BYTES) flush(false);
      // A single stream with very many origins is split across parts too.
      if (cost > SUMMARY_PART_BYTES) {
        let chunk: Record<string, number> = {};
        let chunkSize = 0;
        for (const [origin, seq] of Object.entries(heads)) {
          chunk[origin] = seq;
          chunkSize += origin.length + 16;
          if (chunkSize > SUMMARY_PART_BYTES) {
            part[stream] = chunk;
            flush(false);
            chunk = {};
            chunkSize = 0;
          }
        }
        part[stream] = chunk;
        size += chunkSize;
        continue;
      }
      part[stream] = heads;
      size += cost;
    }
    flush(true);
  }

  #onSummary(link: Link, m: ControlMessage): void {
    if (this.#closed) return;
    const streams = m.streams;
    if (typeof streams !== "object" || streams === null || Array.isArray(streams)) {
      this.#o.counters.count("bad_control");
      return;
    }
    const acc = this.#incoming.get(link.id) ?? {};
    let streamCount = Object.keys(acc).length;
    for (const [stream, heads] of Object.entries(streams as Record<string, unknown>)) {
      if (
        typeof heads !== "object" || heads === null || !sharedWith(stream, this.#o.me, link.peerId)
      ) {
        continue;
      }
      if (!(stream in acc) && ++streamCount > MAX_SUMMARY_STREAMS) break;
      const into = (acc[stream] ??= {});
      let n = Object.keys(into).length;
      for (const [origin, seq] of Object.entries(heads as Record<string, unknown>)) {
        if (++n > MAX_SUMMARY_ORIGINS) break;
        if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) into[origin] = seq;
      }
    }
    this.#incoming.set(link.id, acc);
    if (m.last !== true) return;
    this.#incoming.delete(link.id);
    if (!this.#o.isAccepted(link.peerId)) {
      this.#deferred.set(link.peerId, { link, heads: acc });
      return;
    }
    this.#answer(link, acc);
  }

  /** A pending peer was accepted: send our summary and answer the one it sent. */
  accepted(link: Link): void {
    const deferred = this.#deferred.get(link.peerId);
    this.#deferred.delete(link.peerId);
    this.start(link);
    if (deferred && deferred.link === link && !link.isClosed) this.#answer(link, deferred.heads);
  }

  #answer(link: Link, acc: Record<string, Record<string, number>>): void {
    const previous = this.#sending.get(link.id) ?? Promise.resolve();
    const run = previous.then(() => this.#send(link, acc)).catch((e) => {
      this.#o.log.warn("catch-up failed", { peer: link.peerId, error: e });
    }).finally(() => {
      if (this.#sending.get(link.id) === run) this.#sending.delete(link.id);
    });
    this.#sending.set(link.id, run);
  }

  /** Sends every envelope the peer lacks, stream by stream, origin by origin, oldest first. */
  async #send(link: Link, theirs: Record<string, Record<string, number>>): Promise<void> {
    let sent = 0;
    const streams = new Set(
      this.#o.store.streams().filter((s) => sharedWith(s, this.#o.me, link.peerId)),
    );
    for (const stream of streams) {
      const their = theirs[stream] ?? {};
      const others = this.#o.forwardsOthers?.() ?? true;
      for (const [origin, max] of Object.entries(this.#o.store.maxSeqs(stream))) {
        if (!others && origin !== this.#o.me) continue;
        let after = their[origin] ?? 0;
        while (after < max) {
          if (this.#closed || link.isClosed) return;
          const batch = this.#o.store.envelopesAfter(stream, origin, after, SYNC_BATCH);
          if (batch.length === 0) break;
          for (const bytes of batch) {
            if (!(await link.send(bytes).admitted)) return;
            sent++;
          }
          // The seq of the last envelope sent: read it from the bytes (offset 59, u64).
          const last = batch[batch.length - 1];
          const view = new DataView(last.buffer, last.byteOffset, last.byteLength);
          after = view.getUint32(59) * 2 ** 32 + view.getUint32(63);
        }
      }
    }
    if (sent > 0) this.#o.counters.count("sync_sent", sent);
    link.sendControl({ t: "sync_done", sent });
    this.#o.log.debug("catch-up sent", { peer: link.peerId, envelopes: sent });
  }

  /** Forgets per-link state when a link closes. */
  linkClosed(link: Link): void {
    this.#incoming.delete(link.id);
    if (this.#deferred.get(link.peerId)?.link === link) this.#deferred.delete(link.peerId);
  }

  /** Stops sending. */
  close(): void {
    this.#closed = true;
  }
}
