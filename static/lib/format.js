/**
 * Small display helpers: relative times, short ids, plural words.
 * @module
 */

/**
 * "just now", "5 min ago", "3 h ago", "yesterday", or a date.
 * @param {string | null | undefined} iso
 * @param {number} [now]
 */
export function timeAgo(iso, now = Date.now()) {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "unknown";
  const s = Math.round((now - t) / 1000);
  if (s < -60) return new Date(t).toLocaleString();
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 2 * 86400) return "yesterday";
  return new Date(t).toLocaleDateString();
}

/**
 * Time of day for a message ("14:05"), with the date when not today.
 * @param {string} iso
 */
export function clock(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return today ? time : `${d.toLocaleDateString()} ${time}`;
}

/**
 * A date, or "never".
 * @param {string | null | undefined} iso
 */
export function date(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

/**
 * "1 peer", "3 peers".
 * @param {number} n
 * @param {string} word
 */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The first and last characters of a long id: "3XjW…4knTZ".
 * @param {string} id
 */
export function shortId(id) {
  return id.length <= 12 ? id : `${id.slice(0, 6)}…${id.slice(-4)}`;
}
