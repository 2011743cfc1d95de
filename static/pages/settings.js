/**
 * Settings: your account and password now; Device Profile, User Profile
 * and the Mesh Relay policy are placeholders until their APIs land
 * (phase 2 replaces each `Soon` panel below with its form).
 * @module
 */
import { html, useResource, useState, useValue } from "../lib/html.js";
import { api, post } from "../lib/api.js";
import { auth } from "../state/session.js";
import { ErrorBox, Field, PageHeader, Section, Soon } from "../components/ui.js";

function PasswordForm() {
  const { min_password_length: min = 10 } = useValue(auth);
  const empty = { old: "", next: "", confirm: "" };
  const [form, setForm] = useState(empty);
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    /** @type {Record<string, string>} */
    const problems = {};
    if (!form.old) problems.old = "Enter your current password.";
    if ([...form.next].length < min) problems.next = `Use at least ${min} characters.`;
    if (form.confirm !== form.next) problems.confirm = "The new passwords do not match.";
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const res = await post("/auth/password", {
        old_password: form.old,
        new_password: form.next,
      });
      setForm(empty);
      setDone(
        res.sessions_revoked > 0
          ? `Password changed. ${res.sessions_revoked} other session${
            res.sessions_revoked === 1 ? " was" : "s were"
          } logged out.`
          : "Password changed.",
      );
    } catch (err) {
      const field = { old_password: "old", new_password: "next" }[err.field];
      if (field) setErrors({ [field]: err.message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<form onSubmit=${submit} novalidate data-testid="password-form">
    <${ErrorBox} error=${error} />
    ${
    done
      ? html`<p class="alert alert-ok" role="status" data-testid="password-changed">${done}</p>`
      : null
  }
    <${Field} id="old-password" label="Current password" error=${errors.old}>
      <input id="old-password" type="password" autocomplete="current-password" value=${form.old} onInput=${
    set("old")
  } />
    <//>
    <${Field} id="new-password" label="New password" error=${errors.next} hint=${`At least ${min} characters.`}>
      <input id="new-password" type="password" autocomplete="new-password" value=${form.next} onInput=${
    set("next")
  } />
    <//>
    <${Field} id="confirm-password" label="Repeat the new password" error=${errors.confirm}>
      <input id="confirm-password" type="password" autocomplete="new-password" value=${form.confirm} onInput=${
    set("confirm")
  } />
    <//>
    <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="change-password">
      ${busy ? "Changing…" : "Change password"}
    </button>
    <p class="hint">Every other browser logged in to this node is logged out.</p>
  </form>`;
}

function RelayPanel() {
  const status = useResource(() => api("/p2p/status"), []);
  return html`<${Soon} title="Changing the relay policy">
    This node's policy is <strong data-testid="relay-policy">${
    status.data?.relay_policy ?? "…"
  }</strong>${" "}
    (set with <code>--relay-policy</code> or <code>CANOPY_RELAY_POLICY</code>).<//>`;
}

export function SettingsPage() {
  const { username } = useValue(auth);
  return html`
    <div class="page page-settings">
      <${PageHeader} title="Settings" />
      <div class="grid-2">
        <div class="stack">
          <${Section} title="Device Profile" id="device-profile">
            <${Soon}
              title="Device name, description and avatar">They tell your peers which machine is which.<//>
            <//>
            <${Section} title="User Profile" id="user-profile">
              <${Soon} title="Display name, bio and avatar">Your peers will see them next to your messages.<//>
            <//>
            <${Section} title="Mesh Relay" id="mesh-relay">
              <${RelayPanel} />
            <//>
          </div>
          <${Section} title="Password" id="password">
            <p class="hint">Signed in as <strong>${username}</strong>.</p>
            <${PasswordForm} />
          <//>
        </div>
      </div>
  `;
}
