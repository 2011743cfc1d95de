/**
 * Setup: the first visit creates the account (SPEC §9). From another
 * machine the node asks for the one-time setup token printed at startup;
 * the startup URL carries it (`/setup?token=…`), and it is removed from
 * the address bar as soon as it is read.
 * @module
 */
import { html, useEffect, useState, useValue } from "../lib/html.js";
import { api } from "../lib/api.js";
import { navigate } from "../lib/router.js";
import { auth, loggedIn } from "../state/session.js";
import { ErrorBox, Field } from "../components/ui.js";

/** Read when the app loads, whichever path the startup URL had. */
const tokenFromUrl = new URLSearchParams(location.search).get("token") ?? "";

export function SetupPage() {
  const status = useValue(auth);
  const min = status.min_password_length ?? 10;
  const [form, setForm] = useState({
    username: "",
    password: "",
    confirm: "",
    token: tokenFromUrl,
  });
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  useEffect(() => {
    // Keep the token out of the history and bookmarks once it is read.
    if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", "/setup");
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    /** @type {Record<string, string>} */
    const problems = {};
    if (!form.username.trim()) problems.username = "Choose a username.";
    if ([...form.password].length < min) {
      problems.password = `Use at least ${min} characters.`;
    }
    if (form.confirm !== form.password) problems.confirm = "The passwords do not match.";
    if (status.setup_token_required && !form.token.trim()) {
      problems.token = "Paste the setup token printed when the node started.";
    }
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const body = { username: form.username.trim(), password: form.password };
      if (form.token.trim()) body.setup_token = form.token.trim();
      loggedIn(await api("/auth/setup", { method: "POST", body, on401: "throw" }));
      navigate("/connect", { replace: true });
    } catch (err) {
      const field = { username: "username", password: "password", setup_token: "token" }[err.field];
      if (field) setErrors({ [field]: err.message });
      else setError(err);
      if (err.code === "conflict") setTimeout(() => location.assign("/login"), 1500);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <main class="auth-page" id="main">
      <form class="auth-card" onSubmit=${submit} novalidate data-testid="setup-form">
        <img src="/favicon.svg" alt="" width="48" height="48" class="auth-logo" />
        <h1>Welcome to Canopy</h1>
        <p class="page-intro">Create the account that protects this node's web interface. It stays on
            this machine; your peer identity is separate.</p>
        <${ErrorBox} error=${error} />
        <${Field} id="setup-username" label="Username" error=${errors.username}>
          <input id="setup-username" name="username" autocomplete="username" required
            value=${form.username} onInput=${set("username")} aria-invalid=${!!errors.username} />
          <//>
          <${Field} id="setup-password" label="Password" error=${errors.password}
            hint=${`At least ${min} characters. A few unrelated words work well.`}>
            <input id="setup-password" name="password" type="password" autocomplete="new-password"
              required minlength=${min} value=${form.password} onInput=${set("password")}
              aria-describedby="setup-password-hint" aria-invalid=${!!errors.password} />
            <//>
            <${Field} id="setup-confirm" label="Repeat the password" error=${errors.confirm}>
            <input id="setup-confirm" name="confirm" type="password" autocomplete="new-password"
              required value=${form.confirm} onInput=${set("confirm")} aria-invalid=${!!errors
                .confirm} />
          <//>
          ${status.setup_token_required || form.token
            ? html`
              <${Field} id="setup-token" label="Setup token" error=${errors.token}
                hint="You are not on the node's own machine, so the one-time token printed at its startup is needed.">
                <input id="setup-token" name="setup_token" autocomplete="off" spellcheck="false"
                  value=${form.token} onInput=${set("token")} aria-describedby="setup-token-hint"
                  aria-invalid=${!!errors.token} />
                <//>
            `
            : null}
          <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
            ${busy ? "Creating the account…" : "Create account"}
          </button>
        </form>
      </main>
  `;
}
