/**
 * Channels: named group conversations shared across the mesh. The list
 * shows each channel's originating device and owner, its post count and
 * last activity; a form creates one; the selected channel shows its posts,
 * live from `channel_message` events, and a composer. The selection is in
 * the URL: /channels?c=<channel id>.
 * @module
 */
import { html, useEffect, useLayoutEffect, useRef, useState, useValue } from "../lib/html.js";
import { api, post } from "../lib/api.js";
import { on } from "../lib/events.js";
import { clock, plural } from "../lib/format.js";
import { navigate, route } from "../lib/router.js";
import {
  byActivity,
  channels,
  channelsError,
  loadChannels,
  upsertChannel,
} from "../state/channels.js";
import { deviceOf, peerName, peerOf, peers } from "../state/peers.js";
import {
  Avatar,
  Composer,
  Empty,
  ErrorBox,
  Field,
  Loading,
  PageHeader,
  TimeAgo,
} from "../components/ui.js";

/** Posts fetched per page. */
export const POST_PAGE = 100;
/** Longest channel name and description (as the node enforces them). */
export const MAX_NAME = 64;
export const MAX_DESCRIPTION = 500;

/**
 * Who started a channel: "You" or the owner's name, and the device.
 * @param {any} c
 */
function originOf(c) {
  const who = c.mine ? "You" : c.origin_display_name || peerName(c.origin_peer_id);
  return { who, device: c.origin_device_name || deviceOf(c.origin_peer_id) };
}

function CreateChannel() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const nameInput = useRef(/** @type {HTMLInputElement | null} */ (null));

  useEffect(() => {
    if (open) nameInput.current?.focus();
  }, [open]);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const n = name.trim();
    /** @type {Record<string, string>} */
    const problems = {};
    if (!n) problems.name = "Give the channel a name.";
    else if ([...n].length > MAX_NAME) problems.name = `Use at most ${MAX_NAME} characters.`;
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const body = { name: n };
      if (description.trim()) body.description = description.trim();
      const created = await post("/channels", body);
      upsertChannel(created);
      setName("");
      setDescription("");
      setOpen(false);
      navigate(`/channels?c=${encodeURIComponent(created.id)}`);
    } catch (err) {
      if (err.field === "name" || err.field === "description") {
        setErrors({ [err.field]: err.message });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="create-channel">
    <button type="button" class="btn btn-block" aria-expanded=${open ? "true" : "false"}
      aria-controls="create-channel-form" onClick=${() => setOpen(!open)}
      data-testid="new-channel">${open ? "Cancel" : "+ New channel"}</button>
    ${
    open
      ? html`
        <form id="create-channel-form" onSubmit=${submit} novalidate
          data-testid="create-channel-form">
          <${ErrorBox} error=${error} />
          <${Field} id="channel-name" label="Name" error=${errors.name}>
            <input id="channel-name" ref=${nameInput} value=${name} maxlength=${MAX_NAME}
              autocomplete="off" placeholder="general"
              onInput=${(e) => setName(e.currentTarget.value)} />
            <//>
            <${Field} id="channel-description" label="Description" error=${errors.description}>
              <input id="channel-description" value=${description} maxlength=${MAX_DESCRIPTION}
                autocomplete="off" placeholder="Optional"
                onInput=${(e) => setDescription(e.currentTarget.value)} />
              <//>
              <button type="submit" class="btn btn-primary btn-block" disabled=${busy}
                data-testid="create-channel">${busy ? "Creating…" : "Create channel"}</button>
              <p class="hint">Every peer in your mesh can read and post to it.</p>
              </form>
      `
      : null
  }
  </div>`;
}

function ChannelItem({ c, selected }) {
  const { who, device } = originOf(c);
  return html`
    <li>
      <a href=${`/channels?c=${encodeURIComponent(c.id)}`} class="conversation"
        aria-current=${selected ? "true" : undefined} data-channel=${c.id}>
        <span class="avatar avatar-channel" aria-hidden="true">#</span>
        <span class="conversation-text">
          <span class="conversation-name">${c.name}</span>
          <span class="conversation-preview" data-testid="channel-origin">${device
            ? `${who} · ${device}`
            : who}</span>
          <span class="conversation-preview">
            <span data-testid="channel-count">${plural(c.post_count, "post")}</span>${c.last_post_at
              ? [" · ", html`<${TimeAgo} iso=${c.last_post_at} />`]
              : null}</span>
        </span>
      </a>
    </li>
  `;
}

function PostItem({ p }) {
  const who = p.outgoing ? "You" : p.origin_display_name || peerName(p.origin);
  const device = deviceOf(p.origin);
  const avatar = peerOf(p.origin)?.avatar;
  return html`<li class=${`msg post ${p.outgoing ? "out" : "in"}`} data-id=${p.id}>
    ${
    p.outgoing ? null : html`<p class="msg-from">
      <${Avatar} id=${p.origin} name=${who} src=${avatar} size=${20} />
      <span data-testid="post-from">${who}</span>${
      device ? html`<span class="muted msg-device">${` · ${device}`}</span>` : null
    }</p>`
  }
    <p class="msg-text">${p.content}</p>
    <p class="msg-meta"><time datetime=${p.timestamp} title=${`Posted ${
    new Date(p.timestamp).toLocaleString()
  }`}>${clock(p.received_at)}</time></p>
  </li>`;
}

/**
 * Posts by id, merged (a post never changes once written).
 * @param {Map<string, any>} map
 * @param {any[]} list
 */
function merge(map, list) {
  if (list.every((p) => map.has(p.id))) return map;
  const next = new Map(map);
  for (const p of list) next.set(p.id, p);
  return next;
}

function PostComposer({ channel, onPosted }) {
  return html`
    <${Composer} id="channel-compose" testid="channel-composer" sendTestid="channel-send"
      label=${`Post to #${channel.name}`}
      placeholder=${`Post to #${channel.name}… (Enter sends, Shift+Enter for a new line)`}
      sendLabel="Post" busyLabel="Posting…"
      onSend=${async (content) =>
        onPosted(
          await post(`/channels/${encodeURIComponent(channel.id)}/messages`, { content }),
        )} />
  `;
}

function ChannelThread({ id, channel }) {
  useValue(peers); // names follow profile changes
  const [posts, setPosts] = useState(/** @type {Map<string, any>} */ (new Map()));
  const [state, setState] = useState({ loading: true, error: null, cursor: null });
  const list = useRef(/** @type {HTMLOListElement | null} */ (null));
  const stick = useRef(true);
  const path = `/channels/${encodeURIComponent(id)}/messages`;

  const loadFirst = () =>
    api(`${path}?limit=${POST_PAGE}`).then(
      (res) => {
        setPosts((m) => merge(m, res.messages));
        setState((s) => ({
          loading: false,
          error: null,
          cursor: s.loading ? res.next_cursor : s.cursor ?? res.next_cursor,
        }));
      },
      (error) => setState((s) => ({ ...s, loading: false, error })),
    );

  useEffect(() => {
    let live = true;
    stick.current = true;
    setPosts(new Map());
    setState({ loading: true, error: null, cursor: null });
    const guard = (fn) => (data) => live && fn(data);
    loadFirst();
    const offs = [
      on(
        "channel_message",
        guard((data) => {
          const m = data?.message;
          if (m?.channel_id === id) setPosts((map) => merge(map, [m]));
        }),
      ),
      on("resync", guard(() => loadFirst())),
    ];
    return () => {
      live = false;
      for (const off of offs) off();
    };
  }, [id]);

  const items = [...posts.values()].sort((a, b) =>
    a.received_at.localeCompare(b.received_at) || a.seq - b.seq
  );

  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [items.length, id, state.loading]);

  const onScroll = (e) => {
    const el = e.currentTarget;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };
  const older = async () => {
    stick.current = false;
    try {
      const res = await api(`${path}?limit=${POST_PAGE}&cursor=${state.cursor}`);
      setPosts((m) => merge(m, res.messages));
      setState((s) => ({ ...s, cursor: res.next_cursor }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };

  if (!channel) {
    return html`
      <section class="thread thread-empty" aria-labelledby="thread-title">
        <h2 id="thread-title" class="visually-hidden">Channel</h2>
        <${Empty} title="No such channel" testid="channel-missing">It may not have reached this
              node yet. <a href="/channels">Back to the channels</a><//>
          </section>
    `;
  }
  const { who, device } = originOf(channel);
  return html`
    <section class="thread" aria-labelledby="thread-title" data-channel=${id}>
      <header class="thread-head">
        <a href="/channels" class="btn btn-small btn-ghost back-link">← Channels</a>
        <div>
          <h2 id="thread-title"># ${channel.name}</h2>
          ${channel.description ? html`<p class="hint">${channel.description}</p>` : null}
          <p class="hint" data-testid="thread-origin">${"Started by "}<strong>${who}</strong>${device
            ? [" on ", html`<strong>${device}</strong>`]
            : null}${" · "}<${TimeAgo} iso=${channel.created_at} />${` · ${
            plural(channel.post_count, "post")
          }`}</p>
        </div>
      </header>
      <ol class="messages" ref=${list} onScroll=${onScroll} data-testid="post-list"
        aria-live="polite" aria-relevant="additions">
        ${state.cursor !== null && !state.loading
          ? html`<li class="more"><button type="button" class="btn btn-small" onClick=${older}>
          Load older posts</button></li>`
          : null}
        ${state.loading && items.length === 0
          ? html`
            <li>
              <${Loading} label="Loading posts…" />
            </li>
          `
          : null}
        ${!state.loading && items.length === 0
          ? html`
            <li>
              <${Empty} title="No posts yet">Be the first to write in #${channel.name}.<//></li>
          `
          : null}
        ${items.map((p) => html`<${PostItem} key=${p.id} p=${p} />`)}
      </ol>
      <${ErrorBox} error=${state.error} onRetry=${loadFirst} />
      <${PostComposer} channel=${channel} onPosted=${(p) => {
        stick.current = true;
        setPosts((m) => merge(m, [p]));
      }} />
    </section>
  `;
}

export function ChannelsPage() {
  const r = useValue(route);
  const list = useValue(channels);
  const error = useValue(channelsError);
  useValue(peers); // owners' names follow profile changes
  const selected = new URL(r, location.origin).searchParams.get("c");

  useEffect(() => {
    loadChannels();
  }, []);

  const sorted = byActivity(list ?? []);
  const current = sorted.find((c) => c.id === selected);
  return html`
    <div class="page page-channels">
      <${PageHeader} title="Channels">Group conversations shared with every peer in your mesh.<//>
      <div class=${`chat${selected ? " has-selection" : ""}`}>
        <nav class="conversations" aria-label="Channels">
          <${CreateChannel} />
          <${ErrorBox} error=${error} onRetry=${loadChannels} />
          ${list === null && !error ? html`<${Loading} label="Loading channels…" />` : null}
          ${list !== null && list.length === 0
            ? html`<${Empty} title="No channels yet" testid="channels-empty">Create one, or wait for
          your peers' channels to arrive.<//>`
            : null}
          <ul data-testid="channels">
            ${sorted.map((c) =>
              html`<${ChannelItem} key=${c.id} c=${c} selected=${c.id === selected} />`
            )}
          </ul>
        </nav>
        ${selected
          ? list === null
            ? html`
              <div class="thread thread-empty">
                <${Loading} label="Loading channel…" />
              </div>
            `
            : html`<${ChannelThread} key=${selected} id=${selected} channel=${current} />`
          : html`
            <div class="thread thread-empty">
              <${Empty} title="Pick a channel">Choose a channel on the left, or create one.<//>
                    </div>
          `}
      </div>
    </div>
  `;
}
