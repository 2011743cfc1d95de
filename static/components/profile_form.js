/**
 * A profile form (Settings): text fields and an avatar, loaded from and
 * saved to the node. Used for the device profile (`/device/profile`) and
 * the user profile (`/profile`); saving re-broadcasts the node's signed
 * card, so peers see the change live. Only the fields that changed are
 * sent.
 * @module
 */
import { html, useEffect, useResource, useState } from "../lib/html.js";
import { api, post } from "../lib/api.js";
import { AvatarField } from "./avatar_field.js";
import { ErrorBox, Field, Loading } from "./ui.js";

/**
 * @typedef {object} FieldSpec
 * @property {string} name      the API field, e.g. "device_name"
 * @property {string} id        the input's id
 * @property {string} label
 * @property {number} max       longest value (characters)
 * @property {boolean} [required]
 * @property {boolean} [multiline]
 * @property {string} [hint]
 * @property {string} [placeholder]
 */

/**
 * The editable part of a profile as the API answers it.
 * @param {FieldSpec[]} fields
 * @param {any} data
 */
function pick(fields, data) {
  /** @type {Record<string, any>} */
  const out = { avatar: data.avatar ?? null };
  for (const f of fields) out[f.name] = data[f.name] ?? "";
  return out;
}

/**
 * @param {{ path: string, testid: string, fields: FieldSpec[], avatarId: string,
 *   avatarLabel: string, submitLabel: string }} props
 */
export function ProfileForm({ path, testid, fields, avatarId, avatarLabel, submitLabel }) {
  const res = useResource(() => api(path), [path]);
  const [saved, setSaved] = useState(/** @type {Record<string, any> | null} */ (null));
  const [form, setForm] = useState(/** @type {Record<string, any> | null} */ (null));
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!res.data) return;
    const next = pick(fields, res.data);
    setSaved(next);
    setForm(next);
  }, [res.data]);

  if (!form || !saved) {
    return res.error
      ? html`<${ErrorBox} error=${res.error} onRetry=${res.reload} />`
      : html`<${Loading} label="Loading the profile…" />`;
  }

  const changed = Object.keys(form).filter((k) => form[k] !== saved[k]);
  const set = (name) => (value) => {
    setDone("");
    setForm({ ...form, [name]: value });
  };

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setDone("");
    /** @type {Record<string, string>} */
    const problems = {};
    for (const f of fields) {
      const v = String(form[f.name]).trim();
      if (f.required && v === "") problems[f.name] = `Enter a ${f.label.toLowerCase()}.`;
      else if ([...v].length > f.max) problems[f.name] = `Use at most ${f.max} characters.`;
    }
    setErrors(problems);
    if (Object.keys(problems).length || changed.length === 0) return;
    /** @type {Record<string, any>} */
    const body = {};
    for (const k of changed) body[k] = k === "avatar" ? form[k] : String(form[k]).trim();
    setBusy(true);
    try {
      const answer = await post(path, body);
      const next = pick(fields, answer);
      setSaved(next);
      setForm(next);
      setDone(`Saved. Your peers receive the new card (version ${answer.version}).`);
    } catch (err) {
      if (err.field && (err.field === "avatar" || fields.some((f) => f.name === err.field))) {
        setErrors({ [err.field]: err.message });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<form onSubmit=${submit} novalidate data-testid=${testid}>
    <${ErrorBox} error=${error} />
    ${
    fields.map((f) =>
      html`<${Field} key=${f.name} id=${f.id} label=${f.label} hint=${f.hint} error=${
        errors[f.name]
      }>
        ${
        f.multiline
          ? html`
            <textarea id=${f.id} rows="3" maxlength=${f.max} value=${form[f.name]}
              placeholder=${f.placeholder}
              onInput=${(e) => set(f.name)(e.currentTarget.value)}></textarea>
          `
          : html`
            <input id=${f.id} maxlength=${f.max} value=${form[f.name]} autocomplete="off"
              placeholder=${f.placeholder} aria-invalid=${errors[f.name] ? "true" : undefined}
              onInput=${(e) => set(f.name)(e.currentTarget.value)} />
          `
      }
      <//>`
    )
  }
    <${AvatarField} id=${avatarId} label=${avatarLabel} value=${form.avatar} seed=${avatarId}
      onChange=${set("avatar")} disabled=${busy} />
    ${errors.avatar ? html`<p class="error-text" role="alert">${errors.avatar}</p>` : null}
    <div class="row row-wrap">
      <button type="submit" class="btn btn-primary" disabled=${busy || changed.length === 0}
        data-testid=${`${testid}-save`}>${busy ? "Saving…" : submitLabel}</button>
      ${
    changed.length && !busy
      ? html`<button type="button" class="btn btn-ghost" onClick=${() => {
        setErrors({});
        setForm(saved);
      }}>Undo changes</button>`
      : null
  }
    </div>
    <div role="status">${
    done ? html`<p class="alert alert-ok" data-testid=${`${testid}-saved`}>${done}</p>` : null
  }</div>
  </form>`;
}
