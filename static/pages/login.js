/**
 * Login. Repeated failures are slowed by the node (429 with Retry-After):
 * the page says how long to wait instead of retrying on its own.
 * @module
 */
import { html, useState, useValue } from "../lib/html.js";
import { api } from "../lib/api.js";
import { navigate, queryParam } from "../lib/router.js";
import { loggedIn, loginReason } from "../state/session.js";
import { ErrorBox, Field } from "../components/ui.js";

/** Only same-site paths are followed after login. */
function nextPath() {
  const next = queryParam("next") ?? "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/connect";
}

export function LoginPage() {
  const reason = useValue(loginReason);
  const [form, setForm] = useState({ username: "", password: "" });
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (!form.username.trim() || !form.password) {
      setError(new Error("Enter your username and password."));
      return;
    }
    setBusy(true);
    try {
      const body = { username: form.username.trim(), password: form.password };
      loggedIn(await api("/auth/login", { method: "POST", body, retries: 0, on401: "throw" }));
      navigate(nextPath(), { replace: true });
    } catch (err) {
      setForm({ ...form, password: "" });
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <main class="auth-page" id="main">
      <form class="auth-card" onSubmit=${submit} novalidate data-testid="login-form">
          <img src="/favicon.svg" alt="" width="48" height="48" class="auth-logo" />
          <h1>Log in to Canopy</h1>
          ${reason && !error
            ? html`<p class="alert alert-info" role="status" data-testid="login-reason">${reason}</p>`
            : null}
          <${ErrorBox} error=${error} />
          <${Field} id="login-username" label="Username">
            <input id="login-username" name="username" autocomplete="username" required
              value=${form.username} onInput=${set("username")} />
          <//>
          <${Field} id="login-password" label="Password">
            <input id="login-password" name="password" type="password" autocomplete="current-password"
              required value=${form.password} onInput=${set("password")} />
          <//>
          <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
            ${busy ? "Checking…" : "Log in"}
          </button>
        </form>
      </main>
  `;
}
