/**
 * Test support: a fake clock with timers, and an in-memory mDNS network
 * (one multicast group; every open socket hears every packet, its own too,
 * as with IP_MULTICAST_LOOP). Packets are copied through JSON, as the wire
 * would, and delivered on a later microtask.
 * @module
 */
import type { MdnsHandlers, MdnsSocket, MdnsTransport, RemoteInfo, Timers } from "./ports.ts";
import type { MdnsPacket } from "./records.ts";

/** A manual clock: `advance` runs due timers in order. */
export class FakeClock implements Timers {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout = (fn: () => void, ms: number): number => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (id: number): void => {
    this.#timers.delete(id);
  };

  /** Pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing timers (and letting promises settle) as it goes. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    while (true) {
      await flush();
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
    await flush();
  }
}

/** Lets queued microtasks and promise chains run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Member {
  address: string;
  handlers: MdnsHandlers;
  open: boolean;
}

/** One in-memory multicast group. */
export class FakeMdnsNetwork {
  readonly #members = new Set<Member>();
  /** Every packet sent, with its sender (for assertions). */
  readonly sent: { from: string; packet: MdnsPacket; to?: RemoteInfo }[] = [];
  /** When set, `open` fails with this error. */
  failOpen?: Error;
  /** When set, `send` fails with this error. */
  failSend?: Error;

  /** A transport whose sockets send from `address`. */
  transport(address: string): MdnsTransport {
    return {
      open: (handlers) => {
        if (this.failOpen) return Promise.reject(this.failOpen);
        const member: Member = { address, handlers, open: true };
        this.#members.add(member);
        const socket: MdnsSocket = {
          send: (packet, to) => {
            if (!member.open) return Promise.reject(new Error("closed"));
            if (this.failSend) return Promise.reject(this.failSend);
            this.inject(packet, { address, port: 5353 }, to);
            this.sent.push({ from: address, packet, to });
            return Promise.resolve();
          },
          close: () => {
            member.open = false;
            this.#members.delete(member);
            return Promise.resolve();
          },
        };
        return Promise.resolve(socket);
      },
    };
  }

  /** Delivers a packet as if `from` had multicast it (or unicast to `to`). */
  inject(packet: MdnsPacket, from: RemoteInfo, to?: RemoteInfo): void {
    const copy = JSON.parse(JSON.stringify(packet)) as MdnsPacket;
    for (const m of [...this.#members]) {
      if (to && m.address !== to.address) continue;
      queueMicrotask(() => {
        if (m.open) m.handlers.packet(copy, from);
      });
    }
  }

  /** Open sockets. */
  get size(): number {
    return this.#members.size;
  }
}
