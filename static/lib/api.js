/**
 * The UI's client for /api/v1: JSON in and out, the session's CSRF token on
 * every state-changing call, a 401 sends the user to the login page, a 429
 * is retried after its Retry-After (a few times, briefly), a read that
 * hits a network error is tried again, and every
 * failure becomes an `ApiError` with the node's sentence.
 * @module
 */
import { auth, loggedOut, refreshAuth } from "../state/session.js";
import { currentPath, navigate } from "./router.js";

/** Longest wait honoured from a Retry-After before giving up (seconds). */
export const MAX_RETRY_WAIT_S = 10;

/** An error answered by the node (or the network failing). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {{ error?: string, code?: string, field?: string, retry_after?: number }} body
   */
  constructor(status, body) {
    super(body?.error ?? `The node answered HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.code ?? "unknown";
    this.field = body?.field;
    this.retryAfter = body?.retry_after;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function parse(res) {
  const text = await res.text();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return { error: text.slice(0, 200) };
  }
}

/**
 * Calls the API.
 * @param {string} path relative to /api/v1, e.g. "/p2p/peers"
 * @param {{ method?: string, body?: unknown, retries?: number, on401?: "login" | "throw" }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = "GET", body, retries = 2, on401 = "login" } = {}) {
  for (let attempt = 0;; attempt++) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const csrf = auth.value.csrf_token;
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    let res;
    try {
      res = await fetch(`/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      // A network blip (the machine's network changing): a read is safe to try again.
      if (method === "GET" && attempt < retries) {
        await sleep(300);
        continue;
      }
      throw new ApiError(0, {
        error: "Cannot reach this Canopy node. Is it still running?",
        code: "network",
      });
    }
    const data = await parse(res);
    if (res.ok) return data;
    if (res.status === 429 && attempt < retries) {
      const wait = Number(res.headers.get("Retry-After") ?? data.retry_after ?? 1);
      if (wait <= MAX_RETRY_WAIT_S) {
        await sleep(Math.max(1, wait) * 1000);
        continue;
      }
    }
    const error = new ApiError(res.status, data);
    // Logged in again in another tab: this page's CSRF token is stale. Fetch the current one once.
    if (res.status === 403 && /X-CSRF-Token/.test(error.message) && attempt < retries) {
      const before = auth.value.csrf_token;
      await refreshAuth();
      if (auth.value.logged_in && auth.value.csrf_token !== before) continue;
    }
    if (res.status === 401 && on401 === "login" && auth.value.logged_in) {
      loggedOut(error.message);
      const here = currentPath();
      navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
    }
    throw error;
  }
}

/**
 * POST with a JSON body.
 * @param {string} path
 * @param {unknown} [body]
 */
export function post(path, body = {}) {
  return api(path, { method: "POST", body });
}
