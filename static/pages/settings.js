/**
 * Settings: the Device Profile and User Profile your peers see (names,
 * descriptions, avatars resized in the browser), the Mesh Relay policy
 * with the relay status, and the password.
 * @module
 */
import { html, useState, useValue } from "../lib/html.js";
import { post } from "../lib/api.js";
import { auth } from "../state/session.js";
import { ProfileForm } from "../components/profile_form.js";
import { RelayPanel } from "../components/relay_panel.js";
import { ErrorBox, Field, PageHeader, Section } from "../components/ui.js";

/** The device profile's fields (limits as the node enforces them). */
export const DEVICE_FIELDS = [
  {
    name: "device_name",
    id: "device-name",
    label: "Device name",
    max: 64,
    required: true,
    hint: "Tells your peers which of your machines this is, e.g. Home laptop.",
  },
  {
    name: "description",
    id: "device-description",
    label: "Description",
    max: 500,
    multiline: true,
    placeholder: "Optional",
  },
];

/** The user profile's fields. */
export const USER_FIELDS = [
  {
    name: "display_name",
    id: "display-name",
    label: "Display name",
    max: 64,
    hint: "Shown to your peers next to your messages and channel posts.",
  },
  { name: "bio", id: "bio", label: "Bio", max: 500, multiline: true, placeholder: "Optional" },
];

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

export function SettingsPage() {
  const { username } = useValue(auth);
  return html`
    <div class="page page-settings">
      <${PageHeader} title="Settings" />
      <div class="grid-2">
        <div class="stack">
          <${Section} title="Device Profile" id="device-profile">
            <p class="hint">This machine, as your peers see it.</p>
            <${ProfileForm} path="/device/profile" testid="device-profile-form"
              fields=${DEVICE_FIELDS} avatarId="device-avatar" avatarLabel="Device picture"
              submitLabel="Save device profile" />
            <//>
            <${Section} title="User Profile" id="user-profile">
              <p class="hint">You, as your peers see you.</p>
              <${ProfileForm} path="/profile" testid="user-profile-form" fields=${USER_FIELDS}
                avatarId="user-avatar" avatarLabel="Your picture" submitLabel="Save user profile" />
              <//>
              </div>
              <div class="stack">
                <${Section} title="Mesh Relay" id="mesh-relay">
                  <${RelayPanel} />
                  <//>
                  <${Section} title="Password" id="password">
                    <p class="hint">Signed in as <strong>${username}</strong>.</p>
                    <${PasswordForm} />
                    <//>
                    </div>
                    </div>
                    </div>
  `;
}
