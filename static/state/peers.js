/**
 * This node's peers (GET /api/v1/p2p/peers), shared by the Connect and
 * Messages pages, kept fresh by peer events.
 * @module
 */
import { signal } from "../lib/html.js";
import { api } from "../lib/api.js";
import { on } from "../lib/events.js";

/** The last answer of /p2p/peers, or null before the first. */
export const peers = signal(/** @type {any} */ (null));
/** The last error loading peers, if any. */
export const peersError = signal(/** @type {Error | null} */ (null));

/** Events after which the list is reloaded. */
export const PEER_EVENTS = [
  "peer_connected",
  "peer_disconnected",
  "peer_pending",
  "peer_updated",
  "peer_forgotten",
  "profile_updated",
  "relay_changed",
  "discovery",
  "resync",
];

let inflight = /** @type {Promise<void> | null} */ (null);
let again = false;

/** Reloads the list; calls made while one runs are merged into one more run. */
export function loadPeers() {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    do {
      again = false;
      try {
        peers.value = await api("/p2p/peers");
        peersError.value = null;
      } catch (e) {
        peersError.value = /** @type {Error} */ (e);
      }
    } while (again);
    inflight = null;
  })();
  return inflight;
}

let debounce = 0;
for (const type of PEER_EVENTS) {
  on(type, () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void loadPeers(), 100);
  });
}

/**
 * The name to show for a peer id: its name when known, else its id.
 * @param {string | null | undefined} peerId
 */
export function peerName(peerId) {
  if (!peerId) return "";
  const p = peers.value?.peers?.find((x) => x.peer_id === peerId);
  return p?.display_name || p?.device_name || p?.name || peerId;
}
