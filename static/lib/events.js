/**
 * Live updates from GET /api/v1/events (Server-Sent Events), with automatic
 * reconnection. The browser's EventSource retries dropped connections by
 * itself; when the node refuses the stream (a 401 after the session ended)
 * it gives up, so we check the session and, if it still holds, open a new
 * one with exponential backoff. After any reconnection a "resync" event
 * tells pages to reload what they show, since events may have been missed.
 * @module
 */
import { signal } from "./html.js";

/** First and longest wait before reopening a refused stream (ms). */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/** "idle" | "connecting" | "open" | "reconnecting" */
export const connection = signal("idle");

/** @type {Map<string, Set<(data: any) => void>>} */
const handlers = new Map();
/** @type {EventSource | undefined} */
let source;
/** @type {Set<string>} */
let attached = new Set();
let retryTimer = 0;
let failures = 0;
let everOpened = false;
/** @type {() => Promise<boolean>} */
let stillLoggedIn = () => Promise.resolve(true);

function emit(type, data) {
  for (const fn of [...(handlers.get(type) ?? [])]) {
    try {
      fn(data);
    } catch (e) {
      console.error(`events: a "${type}" handler failed`, e);
    }
  }
}

function attach(type) {
  if (!source || attached.has(type) || type === "resync" || type === "status") return;
  attached.add(type);
  source.addEventListener(type, (e) => {
    let data;
    try {
      data = JSON.parse(/** @type {MessageEvent} */ (e).data);
    } catch {
      return;
    }
    emit(type, data);
  });
}

function open() {
  clearTimeout(retryTimer);
  connection.value = everOpened || failures > 0 ? "reconnecting" : "connecting";
  const es = new EventSource("/api/v1/events");
  source = es;
  attached = new Set();
  for (const type of handlers.keys()) attach(type);
  es.onopen = () => {
    const reconnected = everOpened;
    everOpened = true;
    failures = 0;
    connection.value = "open";
    if (reconnected) emit("resync", {});
  };
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState !== EventSource.CLOSED) {
      connection.value = "reconnecting"; // the browser retries by itself
      return;
    }
    // Refused (401, 403…): see whether we are still logged in before trying again.
    es.close();
    source = undefined;
    connection.value = "reconnecting";
    const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++);
    stillLoggedIn().then((ok) => {
      if (!ok) {
        stop();
        return;
      }
      retryTimer = setTimeout(() => {
        if (source === undefined && connection.value !== "idle") open();
      }, wait);
    });
  };
}

/**
 * Starts the stream (idempotent).
 * @param {{ checkSession?: () => Promise<boolean> }} [options]
 */
export function start(options = {}) {
  if (options.checkSession) stillLoggedIn = options.checkSession;
  if (source || connection.value !== "idle") return;
  failures = 0;
  open();
}

/** Stops the stream (at logout). */
export function stop() {
  clearTimeout(retryTimer);
  source?.close();
  source = undefined;
  connection.value = "idle";
}

// A page kept in the back/forward cache must not hold its stream open: the
// browser allows few connections per host, and a hidden page's stream
// would take one from the pages in use. It reconnects when shown again.
let pausedByPagehide = false;
addEventListener("pagehide", () => {
  if (connection.value === "idle") return;
  pausedByPagehide = true;
  stop();
});
addEventListener("pageshow", (e) => {
  if (!pausedByPagehide || !/** @type {PageTransitionEvent} */ (e).persisted) return;
  pausedByPagehide = false;
  start(); // reopening emits "resync": what happened meanwhile is fetched again
});

/**
 * Calls `fn` with the data of every `type` event; returns the unsubscribe function.
 * "resync" fires after a reconnection.
 * @param {string} type
 * @param {(data: any) => void} fn
 */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type)?.add(fn);
  attach(type);
  return () => handlers.get(type)?.delete(fn);
}
