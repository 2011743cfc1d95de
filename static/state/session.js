/**
 * Who is logged in, from GET /api/v1/auth/status: whether the node needs
 * setup, the username, and the session's CSRF token (kept in memory only;
 * the session itself is an HttpOnly cookie the page cannot read).
 * @module
 */
import { signal } from "../lib/html.js";

/**
 * @typedef {object} AuthState
 * @property {boolean} loading
 * @property {Error | null} error
 * @property {boolean} needs_setup
 * @property {boolean} setup_token_required
 * @property {boolean} logged_in
 * @property {string | null} username
 * @property {string | null} csrf_token
 * @property {number} min_password_length
 */

/** @type {import("../vendor/signals-core.mjs").Signal<AuthState>} */
export const auth = signal({
  loading: true,
  error: null,
  needs_setup: false,
  setup_token_required: false,
  logged_in: false,
  username: null,
  csrf_token: null,
  min_password_length: 10,
});

/** Why the user was sent to the login page, shown there ("expired"…). */
export const loginReason = signal("");

/** Asks the node who we are. Never throws: a failure is kept in `auth.value.error`. */
export async function refreshAuth() {
  try {
    const res = await fetch("/api/v1/auth/status", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body?.error ?? `HTTP ${res.status}`);
    auth.value = { ...auth.value, ...body, loading: false, error: null };
  } catch (e) {
    auth.value = {
      ...auth.value,
      loading: false,
      error: new Error(`Cannot reach this Canopy node (${e?.message ?? e}). Is it running?`),
    };
  }
}

/**
 * Records a login or setup answer.
 * @param {{ username: string, csrf_token: string }} body
 */
export function loggedIn(body) {
  loginReason.value = "";
  auth.value = {
    ...auth.value,
    loading: false,
    error: null,
    needs_setup: false,
    setup_token_required: false,
    logged_in: true,
    username: body.username,
    csrf_token: body.csrf_token,
  };
}

/**
 * Forgets the session on this page (after logout, or when the node says it ended).
 * @param {string} [reason]
 */
export function loggedOut(reason = "") {
  loginReason.value = reason;
  auth.value = { ...auth.value, logged_in: false, username: null, csrf_token: null };
}
