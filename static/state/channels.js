/**
 * Channels known to this node (GET /api/v1/channels): created here or
 * announced by peers, kept fresh by `channel` and `channel_message` events.
 * @module
 */
import { signal } from "../lib/html.js";
import { api } from "../lib/api.js";
import { on } from "../lib/events.js";
import { coalesced } from "../lib/coalesce.js";

/** The channel list, or null before the first load. */
export const channels = signal(/** @type {any[] | null} */ (null));
/** The last error loading the list, if any. */
export const channelsError = signal(/** @type {Error | null} */ (null));

/** Reloads the list; calls made while one runs are merged into one more run. */
export const loadChannels = coalesced(async () => {
  try {
    channels.value = (await api("/channels")).channels;
    channelsError.value = null;
  } catch (e) {
    channelsError.value = /** @type {Error} */ (e);
  }
});

/**
 * Adds or replaces a channel in the list.
 * @param {any} channel
 */
export function upsertChannel(channel) {
  if (!channel?.id || channels.value === null) return;
  const list = channels.value.filter((c) => c.id !== channel.id);
  channels.value = [...list, channel];
}

/**
 * Channels by latest activity (a post, else creation), newest first.
 * @param {any[]} list
 */
export function byActivity(list) {
  const at = (c) => c.last_post_at ?? c.created_at ?? "";
  return [...list].sort((a, b) => at(b).localeCompare(at(a)) || a.name.localeCompare(b.name));
}

on("channel", (data) => upsertChannel(data?.channel));

on("channel_message", (data) => {
  const m = data?.message;
  if (!m?.channel_id || channels.value === null) return;
  const c = channels.value.find((x) => x.id === m.channel_id);
  if (!c) {
    void loadChannels(); // a post in a channel we have not heard of yet
    return;
  }
  // Each event is a post stored for the first time: count it.
  upsertChannel({
    ...c,
    post_count: c.post_count + 1,
    last_post_at: c.last_post_at && c.last_post_at > m.received_at ? c.last_post_at : m.received_at,
  });
});

on("resync", () => {
  if (channels.value !== null) void loadChannels();
});
