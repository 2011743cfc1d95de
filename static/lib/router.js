/**
 * Client-side routing with the History API. The server answers every
 * non-API path with index.html, so /connect, /messages… load the app and
 * the router picks the page. Same-origin link clicks are handled here.
 * @module
 */
import { signal } from "./html.js";

/** The current path and query, e.g. "/messages?to=broadcast". */
export const route = signal(location.pathname + location.search);

/**
 * Goes to `to` (a path with an optional query).
 * @param {string} to
 * @param {{ replace?: boolean }} [options]
 */
export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", to);
  route.value = to;
}

/** The path of the current route, without its query. */
export function currentPath() {
  return new URL(route.value, location.origin).pathname;
}

/**
 * A query parameter of the current route.
 * @param {string} name
 */
export function queryParam(name) {
  return new URL(route.value, location.origin).searchParams.get(name);
}

addEventListener("popstate", () => {
  route.value = location.pathname + location.search;
});

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const target = /** @type {Element | null} */ (event.target);
  const a = target?.closest?.("a[href]");
  if (!a || a.getAttribute("target") || a.hasAttribute("download")) return;
  const url = new URL(a.getAttribute("href") ?? "", location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
