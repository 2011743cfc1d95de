/**
 * This node's peers (GET /api/v1/p2p/peers) and the peers its contacts
 * introduced (GET /api/v1/p2p/introduced), shared by the Connect,
 * Messages, Channels and Settings pages, kept fresh by peer events.
 * @module
 */
import { signal } from "../lib/html.js";
import { api } from "../lib/api.js";
import { on } from "../lib/events.js";
import { coalesced } from "../lib/coalesce.js";

/** The last answer of /p2p/peers, or null before the first. */
export const peers = signal(/** @type {any} */ (null));
/** The last error loading peers, if any. */
export const peersError = signal(/** @type {Error | null} */ (null));
/** The last answer of /p2p/introduced (its `introduced` list), or null before the first. */
export const introduced = signal(/** @type {any[] | null} */ (null));

/** Events after which the lists are reloaded. */
export const PEER_EVENTS = [
  "peer_connected",
  "peer_disconnected",
  "peer_pending",
  "peer_updated",
  "peer_forgotten",
  "peer_introduced",
  "peer_discovered",
  "peer_lost",
  "profile_updated",
  "relay_route",
  "resync",
];

/** Wait after an event before reloading, so a burst of events costs one reload (ms). */
export const RELOAD_DEBOUNCE_MS = 100;

/** Reloads the lists; calls made while one runs are merged into one more run. */
export const loadPeers = coalesced(async () => {
  const [list, intro] = await Promise.allSettled([api("/p2p/peers"), api("/p2p/introduced")]);
  if (list.status === "fulfilled") {
    peers.value = list.value;
    peersError.value = null;
  } else {
    peersError.value = /** @type {Error} */ (list.reason);
  }
  // Introductions only add detail (the introducer's name): a failure keeps the last list.
  if (intro.status === "fulfilled") introduced.value = intro.value.introduced ?? [];
});

let debounce = 0;
for (const type of PEER_EVENTS) {
  on(type, () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void loadPeers(), RELOAD_DEBOUNCE_MS);
  });
}

/**
 * Everything known about a peer id: the peer, else its introduction.
 * @param {string | null | undefined} peerId
 * @returns {any}
 */
export function peerOf(peerId) {
  if (!peerId) return undefined;
  return peers.value?.peers?.find((x) => x.peer_id === peerId) ??
    introduced.value?.find((x) => x.peer_id === peerId);
}

/**
 * The name to show for a peer id: its display name, device name or name
 * when known, else its id.
 * @param {string | null | undefined} peerId
 */
export function peerName(peerId) {
  if (!peerId) return "";
  const p = peerOf(peerId);
  return p?.display_name || p?.device_name || p?.name || peerId;
}

/**
 * A peer's device name, when it published one.
 * @param {string | null | undefined} peerId
 * @returns {string | null}
 */
export function deviceOf(peerId) {
  return peerOf(peerId)?.device_name || null;
}
