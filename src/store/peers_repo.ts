/**
 * Rows of the `peers` table: every peer this node knows, its keys,
 * endpoints and trust. Display names are sealed at rest.
 * @module
 */
import type { Database } from "./sqlite.ts";
import type { AtRestCipher } from "./at_rest.ts";

/** Trust of a peer (SPEC: accepted, pending contact request, blocked). */
export type Trust = "accepted" | "pending" | "blocked";

/** A known peer, as stored (and as the mesh's peer table holds it). */
export interface PeerRow {
  peerId: string;
  ed25519Key: Uint8Array | null;
  x25519Key: Uint8Array | null;
  bind: Uint8Array | null;
  endpoints: string[];
  trust: Trust;
  source: string;
  name: string | null;
  introducedBy: string | null;
  /** False after a deliberate disconnect: not redialled until asked. */
  autoConnect: boolean;
  addedAt: number;
  lastSeenAt: number | null;
  lastConnectedAt: number | null;
  lastEndpoint: string | null;
  lastError: string | null;
}

interface Raw {
  peer_id: string;
  ed25519_key: Uint8Array | null;
  x25519_key: Uint8Array | null;
  bind: Uint8Array | null;
  endpoints: string;
  trust: Trust;
  source: string;
  name_enc: Uint8Array | null;
  introduced_by: string | null;
  auto_connect: number;
  added_at: number;
  last_seen_at: number | null;
  last_connected_at: number | null;
  last_endpoint: string | null;
  last_error: string | null;
}

/** Repository over `peers`. */
export class PeersRepo {
  constructor(private readonly db: Database, private readonly cipher: AtRestCipher) {}

  #row(r: Raw): PeerRow {
    let endpoints: string[] = [];
    try {
      endpoints = JSON.parse(r.endpoints);
    } catch { /* keep empty */ }
    return {
      peerId: r.peer_id,
      ed25519Key: r.ed25519_key,
      x25519Key: r.x25519_key,
      bind: r.bind,
      endpoints,
      trust: r.trust,
      source: r.source,
      name: r.name_enc ? this.cipher.openText(r.name_enc, `peers.name:${r.peer_id}`) : null,
      introducedBy: r.introduced_by,
      autoConnect: r.auto_connect === 1,
      addedAt: r.added_at,
      lastSeenAt: r.last_seen_at,
      lastConnectedAt: r.last_connected_at,
      lastEndpoint: r.last_endpoint,
      lastError: r.last_error,
    };
  }

  all(): PeerRow[] {
    return this.db.all<Raw>("SELECT * FROM peers ORDER BY added_at, peer_id").map((r) =>
      this.#row(r)
    );
  }

  get(peerId: string): PeerRow | undefined {
    const r = this.db.get<Raw>("SELECT * FROM peers WHERE peer_id = ?", peerId);
    return r ? this.#row(r) : undefined;
  }

  /** Inserts or replaces the whole row. */
  save(p: PeerRow): void {
    this.db.run(
      `INSERT INTO peers (peer_id, ed25519_key, x25519_key, bind, endpoints, trust, source, name_enc,
         introduced_by, auto_connect, added_at, last_seen_at, last_connected_at, last_endpoint, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(peer_id) DO UPDATE SET ed25519_key = excluded.ed25519_key,
         x25519_key = excluded.x25519_key, bind = excluded.bind, endpoints = excluded.endpoints,
         trust = excluded.trust, source = excluded.source, name_enc = excluded.name_enc,
         introduced_by = excluded.introduced_by, auto_connect = excluded.auto_connect,
         last_seen_at = excluded.last_seen_at, last_connected_at = excluded.last_connected_at,
         last_endpoint = excluded.last_endpoint, last_error = excluded.last_error`,
      p.peerId,
      p.ed25519Key,
      p.x25519Key,
      p.bind,
      JSON.stringify(p.endpoints),
      p.trust,
      p.source,
      p.name === null ? null : this.cipher.seal(p.name, `peers.name:${p.peerId}`),
      p.introducedBy,
      p.autoConnect ? 1 : 0,
      p.addedAt,
      p.lastSeenAt,
      p.lastConnectedAt,
      p.lastEndpoint,
      p.lastError,
    );
  }

  delete(peerId: string): boolean {
    return this.db.run("DELETE FROM peers WHERE peer_id = ?", peerId).changes === 1;
  }
}
