/**
 * Choosing an avatar: a preview, a file picker whose picture is resized in
 * the browser (lib/image.js), and Remove. The parent form owns the value
 * and sends it with its other fields.
 * @module
 */
import { html, useRef, useState } from "../lib/html.js";
import { ACCEPT, AVATAR_SIZE, avatarFromFile, MAX_AVATAR_BYTES } from "../lib/image.js";
import { Avatar } from "./ui.js";

/**
 * @param {{ id: string, label: string, value: string | null, seed: string,
 *   onChange: (value: string | null) => void, disabled?: boolean }} props
 *   value: the avatar as a data: URL, or null for none; seed: what the
 *   pattern shown without an avatar is drawn from.
 */
export function AvatarField({ id, label, value, seed, onChange, disabled }) {
  const input = useRef(/** @type {HTMLInputElement | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const choose = async (e) => {
    const file = e.currentTarget.files?.[0];
    if (!file) return;
    setBusy(true);
    setError("");
    try {
      onChange(await avatarFromFile(file));
    } catch (err) {
      setError(err.message ?? String(err));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = ""; // choosing the same file again still works
    }
  };

  return html`<div class=${`field avatar-field${error ? " field-error" : ""}`}>
    <label for=${id}>${label}</label>
    <div class="avatar-row">
      <span class="avatar-preview" data-testid=${`${id}-preview`}
        data-has-avatar=${value ? "true" : "false"}>
        <${Avatar} id=${seed} name=${label} src=${value} size=${64} />
      </span>
      <div class="avatar-controls">
        <input id=${id} ref=${input} type="file" accept=${ACCEPT} onChange=${choose}
          disabled=${disabled || busy} aria-describedby=${`${id}-hint`} />
        ${
    value
      ? html`
        <button type="button" class="btn btn-small btn-ghost" disabled=${disabled || busy}
          onClick=${() => onChange(null)} data-testid=${`${id}-remove`}>Remove picture</button>
      `
      : null
  }
      </div>
    </div>
    <p class="hint" id=${`${id}-hint`}>${
    busy
      ? "Resizing…"
      : `Cropped to a square and resized to ${AVATAR_SIZE}×${AVATAR_SIZE} in your browser (at most ${
        MAX_AVATAR_BYTES / 1024
      } KiB).`
  }</p>
    ${error ? html`<p class="error-text" role="alert">${error}</p>` : null}
  </div>`;
}
