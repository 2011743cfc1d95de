/**
 * The node's event bus: what `/api/v1/events` streams (SPEC §8). Publishers
 * never wait for subscribers; a subscriber that throws is dropped.
 * @module
 */

/** One event: a type and a JSON-serialisable payload. */
export interface NodeEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Receives events. */
export type EventListener = (event: NodeEvent) => void;

/** Fan-out of events to subscribers. */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  #seq = 0;

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Publishes an event to every subscriber. */
  publish(type: string, data: Record<string, unknown>): void {
    const event = { type, data: { ...data, event_seq: ++this.#seq } };
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  }

  /** Publishes an event whose payload is only built when someone listens. */
  publishLazy(type: string, data: () => Record<string, unknown>): void {
    if (this.#listeners.size > 0) this.publish(type, data());
  }

  /** Number of subscribers. */
  get size(): number {
    return this.#listeners.size;
  }
}
