/**
 * Hands each verified envelope to the service that understands its kind
 * (PROTOCOL §4.3). The mesh sees one `EnvelopeSink`.
 * @module
 */
import type { Envelope } from "../mesh/wire/envelope.ts";
import type { EnvelopeSink } from "../mesh/mesh.ts";
import type { Peer } from "../mesh/peer_table.ts";
import type { Counters } from "../mesh/counters.ts";

/** Stores one kind of envelope; "new" lets the mesh flood it on. */
export type KindHandler = (env: Envelope, from: Peer) => Promise<"new" | "duplicate" | "rejected">;

/** Dispatches envelopes by kind. */
export class EnvelopeRouter implements EnvelopeSink {
  readonly #handlers = new Map<number, KindHandler>();

  constructor(private readonly counters: Counters) {}

  /** Registers the handler of a kind (one per kind). */
  on(kind: number, handler: KindHandler): void {
    if (this.#handlers.has(kind)) throw new Error(`bug: two handlers for kind ${kind}`);
    this.#handlers.set(kind, handler);
  }

  receive(env: Envelope, from: Peer): Promise<"new" | "duplicate" | "rejected"> {
    const handler = this.#handlers.get(env.kind);
    if (!handler) {
      this.counters.count("unsupported_kind");
      return Promise.resolve("rejected");
    }
    return handler(env, from);
  }
}
