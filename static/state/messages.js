/**
 * Direct and broadcast messages seen by this page, live from `message` and
 * `delivery` events, with unread counts per conversation. A conversation is
 * "broadcast" or a peer id. What was read is remembered in localStorage
 * (per browser, like any read marker; it holds no message content).
 * @module
 */
import { computed, signal } from "../lib/html.js";
import { api } from "../lib/api.js";
import { on } from "../lib/events.js";

/** Messages fetched at first (newest first from the API). */
export const RECENT_LIMIT = 500;
/** Messages fetched per conversation page. */
export const PAGE_LIMIT = 200;

const STORE_KEY = "canopy.lastRead";
const RANK = { failed: 0, queued: 1, sent: 2, delivered: 3, received: 3 };

/** id → message. */
export const messages = signal(/** @type {Map<string, any>} */ (new Map()));
/** True once the recent messages were loaded. */
export const loaded = signal(false);
/** The conversation on screen (its arrivals are read at once), or null. */
export const activeConversation = signal(/** @type {string | null} */ (null));

function readStore() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_KEY) ?? "null");
    if (v && typeof v === "object" && typeof v.since === "string") return v;
  } catch { /* unreadable: start over */ }
  // First visit: what came before it counts as read (set once loaded, see loadRecent).
  return { since: "", read: {}, fresh: true };
}

/** { since: ISO date, read: { [conversation]: ISO date }, fresh?: true } */
export const lastRead = signal(readStore());

/**
 * The conversation a message belongs to.
 * @param {{ type: string, peer_id: string | null }} m
 */
export function conversationOf(m) {
  return m.type === "broadcast" ? "broadcast" : m.peer_id ?? "unknown";
}

/**
 * Adds or updates messages (a delivery state never moves backwards).
 * @param {any[]} list
 */
export function upsert(list) {
  if (list.length === 0) return;
  const next = new Map(messages.value);
  for (const m of list) {
    const old = next.get(m.id);
    if (old && (RANK[old.state] ?? 0) > (RANK[m.state] ?? 0)) {
      next.set(m.id, { ...m, state: old.state });
    } else next.set(m.id, { ...old, ...m });
  }
  messages.value = next;
}

/** Loads the most recent messages of every conversation. */
export async function loadRecent() {
  const res = await api(`/messages?limit=${RECENT_LIMIT}`);
  upsert(res.messages);
  loaded.value = true;
  if (lastRead.value.fresh) {
    const newest = res.messages.reduce((a, m) => (m.received_at > a ? m.received_at : a), "");
    save({ since: newest, read: {} });
  }
}

/**
 * Loads (older) messages of one conversation; returns how many came.
 * @param {string} conversation
 * @param {string} [before] ISO date
 */
export async function loadConversation(conversation, before) {
  const q = new URLSearchParams({ limit: String(PAGE_LIMIT) });
  if (conversation === "broadcast") q.set("type", "broadcast");
  else q.set("peer_id", conversation);
  if (before) q.set("before", before);
  const res = await api(`/messages?${q}`);
  upsert(res.messages);
  return res.messages.length;
}

/**
 * Messages of a conversation, oldest first.
 * @param {string} conversation
 */
export function messagesOf(conversation) {
  return [...messages.value.values()]
    .filter((m) => conversationOf(m) === conversation)
    .sort((a, b) => a.received_at.localeCompare(b.received_at) || a.seq - b.seq);
}

function save(value) {
  lastRead.value = value;
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(value));
  } catch { /* storage full or disabled: counts start over on reload */ }
}

/**
 * Marks a conversation read up to its newest message (the node's clock,
 * not this browser's, so a skewed clock cannot hide or resurrect messages).
 * @param {string} conversation
 */
export function markRead(conversation) {
  const list = messagesOf(conversation);
  const newest = list.length ? list[list.length - 1].received_at : "";
  const { since, read } = lastRead.value;
  if (newest === "" || newest <= (read[conversation] ?? since)) return;
  save({ since, read: { ...read, [conversation]: newest } });
}

/** Unread incoming messages per conversation. */
export const unread = computed(() => {
  const { since, read } = lastRead.value;
  /** @type {Record<string, number>} */
  const counts = {};
  for (const m of messages.value.values()) {
    if (m.outgoing) continue;
    const c = conversationOf(m);
    if (m.received_at > (read[c] ?? since)) counts[c] = (counts[c] ?? 0) + 1;
  }
  return counts;
});

/** Unread messages in all conversations. */
export const totalUnread = computed(() => Object.values(unread.value).reduce((a, b) => a + b, 0));

on("message", (data) => {
  const m = data?.message;
  if (!m?.id) return;
  upsert([m]);
  const c = conversationOf(m);
  if (activeConversation.value === c && document.visibilityState === "visible") markRead(c);
});

on("delivery", (data) => {
  const old = data?.id && messages.value.get(data.id);
  if (old) upsert([{ ...old, state: data.state }]);
});

on("resync", () => {
  if (loaded.value) loadRecent().catch(() => {});
});

document.addEventListener("visibilitychange", () => {
  const c = activeConversation.value;
  if (c && document.visibilityState === "visible") markRead(c);
});
