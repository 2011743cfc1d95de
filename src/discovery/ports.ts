/**
 * What the discovery service needs from the outside world: a shared mDNS
 * socket (src/discovery/mdns.ts, or an in-memory network in tests) and
 * timers. The service owns these interfaces; adapters implement them.
 * @module
 */
import type { MdnsPacket } from "./packet.ts";

/** Where a packet came from. */
export interface RemoteInfo {
  readonly address: string;
  readonly port: number;
}

/** What the socket adapter reports. */
export interface MdnsHandlers {
  packet(packet: MdnsPacket, from: RemoteInfo): void;
  /** A datagram that did not decode (counted, ignored). */
  malformed(error: Error): void;
  /** A socket-level problem that does not stop the socket (e.g. a failed group join). */
  warning(error: Error): void;
  /** The socket failed after it was opened. */
  error(error: Error): void;
  /** The adapter joined the group on a new interface. */
  interfacesChanged(): void;
}

/** An open mDNS socket. */
export interface MdnsSocket {
  /** Sends to the mDNS group, or to `to` (unicast). */
  send(packet: MdnsPacket, to?: RemoteInfo): Promise<void>;
  close(): Promise<void>;
}

/** Opens the mDNS socket (UDP 5353 shared with other responders). */
export interface MdnsTransport {
  open(handlers: MdnsHandlers): Promise<MdnsSocket>;
}

/** Timer functions (tests inject a fake clock). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}
