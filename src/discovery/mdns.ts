/**
 * The mDNS socket adapter: the only importer of `multicast-dns`. It binds
 * UDP 5353 on all addresses with SO_REUSEADDR, so a second node and avahi
 * (or any other responder) on the same host share the port, joins
 * 224.0.0.251 on every interface (re-checked every 5 s by the library) and
 * turns the library's events into `MdnsHandlers` calls.
 *
 * Runs under the node's fixed permissions: net (UDP) and
 * sys networkInterfaces; it reads no files and no environment.
 * @module
 */
import makeMdns from "multicast-dns";
import type { MdnsHandlers, MdnsSocket, MdnsTransport, RemoteInfo } from "./ports.ts";
import { type MdnsPacket, unencodable } from "./packet.ts";
import { MDNS_PORT } from "./records.ts";

/** Options passed to multicast-dns (tests use a loopback port without multicast). */
export interface MulticastDnsOptions {
  /** UDP port (default 5353). */
  readonly port?: number;
  /** Group address, or the unicast address packets go to by default (default 224.0.0.251). */
  readonly ip?: string;
  /** Join the group (default true). */
  readonly multicast?: boolean;
  /** Address to bind (default all). */
  readonly bind?: string;
  /** Receive our own multicast, so two nodes on one host hear each other (default true). */
  readonly loopback?: boolean;
}

/** The part of multicast-dns's instance this adapter uses. */
interface MulticastDns {
  on(event: string, listener: (...args: never[]) => void): void;
  send(
    packet: MdnsPacket,
    rinfo: { address: string; port: number } | null,
    cb: (e?: Error) => void,
  ): void;
  destroy(cb: () => void): void;
}

type Factory = (options: Record<string, unknown>) => MulticastDns;

/** The production `MdnsTransport`. */
export function multicastDns(options: MulticastDnsOptions = {}): MdnsTransport {
  return {
    open(handlers: MdnsHandlers): Promise<MdnsSocket> {
      return new Promise((resolve, reject) => {
        let m: MulticastDns;
        try {
          m = (makeMdns as unknown as Factory)({
            port: options.port ?? MDNS_PORT,
            ip: options.ip,
            multicast: options.multicast,
            bind: options.bind,
            loopback: options.loopback ?? true,
            reuseAddr: true,
          });
        } catch (e) {
          reject(e);
          return;
        }
        let ready = false;
        let closing: Promise<void> | undefined;
        const close = () =>
          closing ??= new Promise<void>((done) => {
            try {
              m.destroy(() => done());
            } catch {
              done();
            }
          });
        const socket: MdnsSocket = {
          send(packet: MdnsPacket, to?: RemoteInfo): Promise<void> {
            if (closing) return Promise.reject(new Error("mDNS socket closed"));
            const problem = unencodable(packet);
            if (problem) {
              return Promise.reject(new RangeError(`bug: unencodable mDNS packet: ${problem}`));
            }
            return new Promise((done, fail) => {
              try {
                m.send(
                  packet,
                  to ? { address: to.address, port: to.port } : null,
                  (e) => e ? fail(e) : done(),
                );
              } catch (e) {
                fail(e);
              }
            });
          },
          close,
        };
        m.on("ready", () => {
          ready = true;
          resolve(socket);
        });
        m.on("error", (e: Error) => {
          if (ready) handlers.error(e);
          else {
            void close();
            reject(e);
          }
        });
        m.on("warning", (e: Error & { code?: string }) => {
          // dns-packet decode failures carry no code; socket problems do.
          if (e.code === undefined) handlers.malformed(e);
          else handlers.warning(e);
        });
        m.on("packet", (packet: MdnsPacket, rinfo: { address: string; port: number }) => {
          handlers.packet(packet, { address: rinfo.address, port: rinfo.port });
        });
        m.on("networkInterface", () => handlers.interfacesChanged());
      });
    },
  };
}
