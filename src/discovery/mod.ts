/**
 * LAN discovery over mDNS/DNS-SD (SPEC §7, PROTOCOL §11).
 * @module
 */
export {
  ANNOUNCE_DELAYS_MS,
  type DiscoveredPeer,
  Discovery,
  type DiscoveryObserver,
  type DiscoveryOptions,
  type LostReason,
  QUERY_MAX_INTERVAL_MS,
  SERVICE_TTL_S,
} from "./discovery.ts";
export { multicastDns, type MulticastDnsOptions } from "./mdns.ts";
export type { MdnsTransport } from "./ports.ts";
export { instanceLabel, SERVICE_TYPE } from "./records.ts";
export { TXT_KEYS } from "./txt.ts";
