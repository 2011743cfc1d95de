/**
 * Shared building blocks: loading, empty and error states, buttons that
 * copy or ask for confirmation, form fields, badges and avatars. Pure view
 * components; state lives in the pages.
 * @module
 */
import { html, useEffect, useRef, useState } from "../lib/html.js";
import { timeAgo } from "../lib/format.js";

/**
 * A spinner with a label, announced to screen readers.
 * @param {{ label?: string }} props
 */
export function Loading({ label = "Loading…" }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

/**
 * An empty state: a title and a hint.
 * @param {{ title: string, children?: any, testid?: string }} props
 */
export function Empty({ title, children, testid }) {
  return html`<div class="empty" data-testid=${testid}>
    <p class="empty-title">${title}</p>
    ${children ? html`<p class="empty-hint">${children}</p>` : null}
  </div>`;
}

/**
 * An error with an optional retry button.
 * @param {{ error: any, onRetry?: () => void, title?: string }} props
 */
export function ErrorBox({ error, onRetry, title }) {
  if (!error) return null;
  return html`<div class="alert alert-error" role="alert">
    ${title ? html`<strong>${title} </strong>` : null}
    <span>${error.message ?? String(error)}</span>
    ${
    onRetry
      ? html`
        <button type="button" class="btn btn-small" onClick=${onRetry}>Retry</button>
      `
      : null
  }
  </div>`;
}

/**
 * The page title, focused when the page opens (so keyboard and screen reader
 * users land on it after navigating).
 * @param {{ title: string, children?: any }} props
 */
export function PageHeader({ title, children }) {
  const ref = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  useEffect(() => {
    document.title = `${title} · Canopy`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return html`<header class="page-header">
    <h1 tabindex="-1" ref=${ref}>${title}</h1>
    ${children ? html`<p class="page-intro">${children}</p>` : null}
  </header>`;
}

/**
 * A titled section of a page.
 * @param {{ title: string, id?: string, children?: any, actions?: any, count?: number }} props
 */
export function Section({ title, id, children, actions, count }) {
  const headingId = id ? `${id}-title` : undefined;
  return html`<section class="card" id=${id} aria-labelledby=${headingId}>
    <div class="card-head">
      <h2 id=${headingId}>${title}${
    count !== undefined
      ? html`
        <span class="count">${count}</span>
      `
      : null
  }</h2>
      ${actions ? html`<div class="card-actions">${actions}</div>` : null}
    </div>
    ${children}
  </section>`;
}

/**
 * A labelled form field; `error` is shown under it and linked for screen readers.
 * @param {{ id: string, label: string, hint?: any, error?: string | null, children: any }} props
 */
export function Field({ id, label, hint, error, children }) {
  return html`<div class=${`field${error ? " field-error" : ""}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="error-text" id=${`${id}-error`} role="alert">${error}</p>` : null}
  </div>`;
}

/**
 * Puts `text` on the clipboard. The Clipboard API exists only on secure
 * origins (https, localhost); over plain http on a LAN address the older
 * select-and-copy command still works.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "clipboard-helper";
    document.body.append(area);
    area.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

/**
 * Copies `text` to the clipboard and says so.
 * @param {{ text: string, label?: string, id?: string, class?: string }} props
 */
export function CopyButton({ text, label = "Copy", id, class: cls = "btn" }) {
  const [done, setDone] = useState(/** @type {"" | "ok" | "fail"} */ (""));
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(""), 2000);
    return () => clearTimeout(t);
  }, [done]);
  const copy = async () => {
    setDone((await copyText(text)) ? "ok" : "fail");
  };
  return html`<button type="button" class=${cls} id=${id} onClick=${copy} disabled=${!text}>
    ${done === "ok" ? "Copied!" : done === "fail" ? "Copy failed: select and copy by hand" : label}
  </button><span class="visually-hidden" aria-live="polite">${
    done === "ok" ? "Copied to the clipboard" : ""
  }</span>`;
}

/**
 * A button that asks for confirmation in a modal dialog before `onConfirm`.
 * @param {{ label: string, title: string, children?: any, confirmLabel?: string,
 *   onConfirm: () => Promise<unknown> | void, class?: string, disabled?: boolean, testid?: string }} props
 */
export function ConfirmButton(
  { label, title, children, confirmLabel = label, onConfirm, class: cls = "btn", disabled, testid },
) {
  const dialog = useRef(/** @type {HTMLDialogElement | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {any} */ (null));
  const open = () => {
    setError(null);
    dialog.current?.showModal();
  };
  const confirm = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <button type="button" class=${cls} onClick=${open} disabled=${disabled}
      data-testid=${testid}>${label}</button>
    <dialog ref=${dialog} class="dialog" aria-labelledby=${`${testid ?? "confirm"}-title`}>
      <form method="dialog" onSubmit=${confirm}>
            <h2 id=${`${testid ?? "confirm"}-title`}>${title}</h2>
            ${children ? html`<p>${children}</p>` : null}
            <${ErrorBox} error=${error} />
            <div class="dialog-actions">
              <button type="button" class="btn" onClick=${() =>
                dialog.current?.close()}>Cancel</button>
              <button type="submit" class="btn btn-danger" disabled=${busy} data-testid=${testid
                ? `${testid}-confirm`
                : undefined}>
                ${busy ? "Working…" : confirmLabel}
              </button>
            </div>
          </form>
    </dialog>
  `;
}

/**
 * A small colored label.
 * @param {{ kind?: "direct" | "relay" | "ok" | "warn" | "muted" | "danger" | "info", children: any, title?: string }} props
 */
export function Badge({ kind = "muted", children, title }) {
  return html`<span class=${`badge badge-${kind}`} title=${title}>${children}</span>`;
}

/**
 * A relative time with the exact one on hover.
 * @param {{ iso: string | null | undefined }} props
 */
export function TimeAgo({ iso }) {
  if (!iso) return html`<span>never</span>`;
  return html`<time datetime=${iso} title=${new Date(iso).toLocaleString()}>${timeAgo(iso)}</time>`;
}

/** FNV-1a, for stable colors and patterns from an id. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A peer's picture: its avatar when it has one, else a symmetric 5×5
 * pattern drawn from its id (the same id always looks the same).
 * @param {{ id: string, name?: string, src?: string | null, size?: number }} props
 */
export function Avatar({ id, name, src, size = 40 }) {
  const label = name || id;
  if (src) {
    return html`<img class="avatar" src=${src} alt="" width=${size} height=${size} title=${label} />`;
  }
  const h = hash32(id || "?");
  const hue = h % 360;
  const cells = [];
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 3; x++) {
      if ((hash32(`${id}:${x}:${y}`) & 1) === 0) continue;
      cells.push(html`<rect x=${x} y=${y} width="1" height="1" />`);
      if (x < 2) cells.push(html`<rect x=${4 - x} y=${y} width="1" height="1" />`);
    }
  }
  return html`
    <svg class="avatar" viewBox="-0.5 -0.5 6 6" width=${size} height=${size} aria-hidden="true">
      <rect x="-0.5" y="-0.5" width="6" height="6" fill=${`hsl(${hue} 45% 92%)`} />
      <g fill=${`hsl(${hue} 55% 38%)`}>${cells}</g>
    </svg>
  `;
}

/**
 * The message box under a conversation or channel: Enter sends, Shift+Enter
 * adds a line; `onSend(text)` does the work and throws to show an error.
 * The text stays until the send succeeds.
 */
export function Composer(
  { id, label, placeholder, disabled = false, sendLabel, busyLabel, onSend, testid, sendTestid },
) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {any} */ (null));
  const input = useRef(/** @type {HTMLTextAreaElement | null} */ (null));

  const send = async (e) => {
    e?.preventDefault();
    if (!text.trim() || busy || disabled) return;
    setBusy(true);
    setError(null);
    try {
      await onSend(text);
      setText("");
      input.current?.focus();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onKeyDown = (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
  };
  return html`
    <form class="composer" onSubmit=${send} data-testid=${testid}>
      <${ErrorBox} error=${error} />
      <label for=${id} class="visually-hidden">${label}</label>
      <textarea id=${id} ref=${input} rows="2" value=${text} disabled=${disabled}
        placeholder=${placeholder}
        onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
      <button type="submit" class="btn btn-primary" disabled=${busy || disabled || !text.trim()}
        data-testid=${sendTestid}>${busy ? busyLabel : sendLabel}</button>
    </form>
  `;
}
