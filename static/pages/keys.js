/**
 * API Keys: create one with a name, permissions and an expiry; the key is
 * shown once with Copy and a ready curl example; the list shows last use;
 * revoking asks for confirmation.
 * @module
 */
import { html, useResource, useState } from "../lib/html.js";
import { api } from "../lib/api.js";
import { date } from "../lib/format.js";
import {
  Badge,
  ConfirmButton,
  CopyButton,
  Empty,
  ErrorBox,
  Field,
  Loading,
  PageHeader,
  Section,
  TimeAgo,
} from "../components/ui.js";

/** The permissions, what they allow, and whether a new key gets them by default. */
export const PERMISSIONS = [
  { id: "READ_MESSAGES", text: "Read messages and the event stream", default: true },
  { id: "WRITE_MESSAGES", text: "Send messages", default: true },
  { id: "MANAGE_PEERS", text: "Import invites, connect, accept and block peers", default: true },
  { id: "MANAGE_KEYS", text: "Create and revoke API keys", default: false },
];

const EXPIRY = [
  { value: "", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
  { value: "custom", label: "After a number of days…" },
];

/** A curl command that uses `key` (the seed guide's peers call). */
export function curlExample(key) {
  return `curl -s ${location.origin}/api/v1/p2p/peers \\\n  -H "X-API-Key: ${key}"`;
}

function CreatedKey({ created, onDone }) {
  const example = curlExample(created.key);
  return html`
    <div class="alert alert-ok new-key" role="status" data-testid="new-key-panel">
      <p><strong>Key "${created
        .name}" created.</strong> Copy it now: this is the only time it is shown.</p>
      <label for="new-key" class="visually-hidden">The new API key</label>
      <div class="row">
        <input id="new-key" class="mono" readonly value=${created.key} onFocus=${(e) =>
          e.currentTarget.select()} />
        <${CopyButton} text=${created.key} label="Copy key" id="copy-key" class="btn btn-primary" />
      </div>
      <p>Try it:</p>
      <pre class="code" data-testid="curl-example">${example}</pre>
      <div class="row">
        <${CopyButton} text=${example} label="Copy curl command" />
        <button type="button" class="btn btn-ghost" onClick=${onDone}>I have saved it</button>
      </div>
    </div>
  `;
}

function CreateForm({ onCreated }) {
  const [name, setName] = useState("");
  const [perms, setPerms] = useState(() =>
    Object.fromEntries(PERMISSIONS.map((p) => [p.id, p.default]))
  );
  const [expiry, setExpiry] = useState("");
  const [days, setDays] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    /** @type {Record<string, string>} */
    const problems = {};
    const permissions = PERMISSIONS.filter((p) => perms[p.id]).map((p) => p.id);
    if (!name.trim()) problems.name = "Give the key a name, such as the script that uses it.";
    if (permissions.length === 0) problems.permissions = "Choose at least one permission.";
    const expiresDays = expiry === "custom" ? Number(days) : expiry ? Number(expiry) : undefined;
    if (
      expiry === "custom" &&
      (!Number.isInteger(expiresDays) || expiresDays < 1 || expiresDays > 36500)
    ) {
      problems.days = "Enter a whole number of days from 1 to 36500.";
    }
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const body = { name: name.trim(), permissions };
      if (expiresDays !== undefined) body.expires_days = expiresDays;
      const created = await api("/keys", { method: "POST", body });
      setName("");
      onCreated(created);
    } catch (err) {
      if (err.field === "name") setErrors({ name: err.message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form onSubmit=${submit} novalidate data-testid="create-key-form">
      <${ErrorBox} error=${error} />
      <${Field} id="key-name" label="Name" error=${errors.name}
        hint="What uses this key, e.g. backup-script.">
        <input id="key-name" value=${name} maxlength="100" autocomplete="off"
          onInput=${(e) => setName(e.currentTarget.value)} />
        <//>
        <fieldset class="field">
          <legend>Permissions</legend>
          ${PERMISSIONS.map((p) =>
            html`
              <label class="check">
                <input type="checkbox" name="permissions" value=${p.id} checked=${perms[p.id]}
                  onChange=${(e) => setPerms({ ...perms, [p.id]: e.currentTarget.checked })} />
                <span><code>${p.id}</code> <span class="muted">${p.text}</span></span>
              </label>
            `
          )}
          ${errors.permissions
            ? html`<p class="error-text" role="alert">${errors.permissions}</p>`
            : null}
        </fieldset>
        <div class="row row-wrap">
          <${Field} id="key-expiry" label="Expires">
            <select id="key-expiry" value=${expiry} onChange=${(e) =>
              setExpiry(e.currentTarget.value)}>
              ${EXPIRY.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
            </select>
          <//>
          ${expiry === "custom"
            ? html`
              <${Field} id="key-days" label="Days" error=${errors.days}>
                <input id="key-days" inputmode="numeric" value=${days} onInput=${(e) =>
                  setDays(e.currentTarget.value)} />
                <//>
            `
            : null}
        </div>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="create-key">
          ${busy ? "Creating…" : "Create key"}
        </button>
      </form>
  `;
}

function KeyItem({ k, onRevoked }) {
  const kind = k.status === "active" ? "ok" : k.status === "revoked" ? "danger" : "muted";
  return html`
    <li class="key" data-key-id=${k.id} data-status=${k.status}>
      <div class="key-main">
        <p><strong class="key-name">${k.name}</strong> <${Badge} kind=${kind}>${k.status}<//></p>
          <p class="key-perms">${k.permissions.map((p) =>
            html`
              <code>${p}</code>
            `
          )}</p>
          <dl class="facts facts-inline">
            <dt>Created</dt><dd>${date(k.created_at)}</dd>
            <dt>Expires</dt><dd>${k.expires_at ? date(k.expires_at) : "never"}</dd>
            <dt>Last used</dt><dd data-testid="key-last-used"><${TimeAgo} iso=${k
              .last_used_at} /></dd>
            ${k.revoked_at
              ? html`
                <dt>Revoked</dt>
                <dd>${date(k.revoked_at)}</dd>
              `
              : null}
          </dl>
        </div>
        ${k.status === "active"
          ? html`
            <div class="key-actions">
              <${ConfirmButton} label="Revoke" class="btn btn-small btn-danger-outline" testid="revoke-key"
                title=${`Revoke the key "${k.name}"?`} confirmLabel="Revoke key"
                onConfirm=${async () => {
                  await api(`/keys/${encodeURIComponent(k.id)}`, { method: "DELETE" });
                  onRevoked();
                }}>
                        Scripts using it are refused from now on. This cannot be undone.<//>
                    </div>
          `
          : null}
      </li>
  `;
}

export function KeysPage() {
  const keys = useResource(() => api("/keys"), []);
  const [created, setCreated] = useState(/** @type {any} */ (null));
  const list = keys.data?.keys ?? [];
  return html`
    <div class="page page-keys">
      <${PageHeader} title="API Keys">Keys let scripts and other programs use this node's REST API
          (<a href="/api/v1/openapi.json">OpenAPI</a>). Only a hash of each key is stored.<//>
        <${Section} title="Create a key" id="create-key">
          ${created
            ? html`<${CreatedKey} created=${created} onDone=${() => setCreated(null)} />`
            : null}
          <${CreateForm} onCreated=${(k) => {
            setCreated(k);
            keys.reload();
          }} />
        <//>
        <${Section} title="Your keys" id="key-list" count=${list.filter((k) =>
          k.status === "active"
        ).length}>
          ${keys.loading && !keys.data ? html`<${Loading} label="Loading keys…" />` : null}
          <${ErrorBox} error=${keys.error} onRetry=${keys.reload} />
          ${keys.data && list.length === 0
            ? html`<${Empty} title="No API keys yet">Create one above to use the API from scripts.<//>`
            : html`<ul class="keys" data-testid="keys">${
              list.map((k) => html`<${KeyItem} key=${k.id} k=${k} onRevoked=${keys.reload} />`)
            }</ul>`}
        <//>
      </div>
  `;
}
