/**
 * The two socket loops the handshake and the connection share: write a whole
 * buffer, and read an HTTP/1.1 head (the bytes up to the blank line, RFC 9112
 * §2.1) into a capped buffer. Neither has its own deadline: the callers close
 * the socket when theirs passes, which ends a pending read or write.
 * @module
 */

/** The part of `Deno.Conn` these loops need (a fake in tests). */
export interface ByteStream {
  /** Reads into `p`; the count, or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes from `p`; the count written (maybe less than all). */
  write(p: Uint8Array): Promise<number>;
}

/** Writes every byte of `bytes` (one `write` may take only part of it). */
export async function writeAll(conn: ByteStream, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(at === 0 ? bytes : bytes.subarray(at));
}

/** What {@link readHead} found. */
export type HeadResult =
  /** `head` excludes the final CRLFCRLF; `rest` is what was read past it. */
  | { kind: "head"; head: Uint8Array; rest: Uint8Array }
  /** No blank line within the cap. */
  | { kind: "too_large" }
  /** The peer closed first; `received` bytes had come. */
  | { kind: "eof"; received: number };

/**
 * Reads until CRLFCRLF, keeping at most `maxBytes` in memory (the head and
 * its terminator must fit). Bytes after the head — the first frames, if the
 * peer did not wait for our answer — are returned in `rest`.
 */
export async function readHead(conn: ByteStream, maxBytes: number): Promise<HeadResult> {
  const buf = new Uint8Array(maxBytes);
  let end = 0;
  for (;;) {
    if (end === buf.length) return { kind: "too_large" };
    const n = await conn.read(buf.subarray(end));
    if (n === null) return { kind: "eof", received: end };
    const from = Math.max(0, end - 3);
    end += n;
    for (let i = from; i + 3 < end; i++) {
      if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
        return { kind: "head", head: buf.slice(0, i), rest: buf.slice(i + 4, end) };
      }
    }
  }
}
