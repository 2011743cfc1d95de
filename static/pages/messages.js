/**
 * Messages: the conversation list (Broadcast and one per peer, with unread
 * counts), the selected conversation with live arrivals and the delivery
 * state of what you sent (queued → sent → delivered), and the composer.
 * The selection is in the URL: /messages?to=broadcast or ?to=<peer id>.
 * @module
 */
import { html, useEffect, useLayoutEffect, useRef, useState, useValue } from "../lib/html.js";
import { post } from "../lib/api.js";
import { clock, plural, shortId } from "../lib/format.js";
import { route } from "../lib/router.js";
import { deviceOf, peerName, peers } from "../state/peers.js";
import {
  activeConversation,
  conversationOf,
  loadConversation,
  loaded,
  markRead,
  messages,
  messagesOf,
  PAGE_LIMIT,
  unread,
  upsert,
} from "../state/messages.js";
import { Avatar, Badge, Composer, Empty, ErrorBox, Loading, PageHeader } from "../components/ui.js";
import { Icon } from "../components/icons.js";

const STATE_LABEL = {
  queued: { text: "Queued", icon: "◷", hint: "Waiting for the peer to be reachable" },
  sent: { text: "Sent", icon: "✓", hint: "Handed to the peer's node" },
  delivered: { text: "Delivered", icon: "✓✓", hint: "The peer's node confirmed it" },
  failed: { text: "Failed", icon: "!", hint: "Could not be delivered" },
};

/** The conversations to list: Broadcast, then peers by latest message, then by name. */
function conversationList(all, peerList) {
  const latest = new Map();
  for (const m of all.values()) {
    const c = conversationOf(m);
    const prev = latest.get(c);
    if (!prev || m.received_at > prev.received_at) latest.set(c, m);
  }
  const ids = new Set(
    (peerList ?? []).filter((p) => p.state !== "blocked").map((p) => p.peer_id),
  );
  for (const c of latest.keys()) if (c !== "broadcast") ids.add(c);
  const rows = [...ids].map((id) => ({ id, name: peerName(id), last: latest.get(id) }));
  rows.sort((a, b) =>
    (b.last?.received_at ?? "").localeCompare(a.last?.received_at ?? "") ||
    a.name.localeCompare(b.name)
  );
  return [{ id: "broadcast", name: "Broadcast", last: latest.get("broadcast") }, ...rows];
}

function ConversationItem({ c, selected, count }) {
  const preview = c.last ? `${c.last.outgoing ? "You: " : ""}${c.last.content}` : "No messages yet";
  return html`
    <li>
      <a href=${`/messages?to=${encodeURIComponent(c.id)}`} class="conversation"
        aria-current=${selected ? "true" : undefined} data-conversation=${c.id}>
          ${c.id === "broadcast"
            ? html`<span class="avatar avatar-broadcast"><${Icon} name="broadcast" /></span>`
            : html`<${Avatar} id=${c.id} name=${c.name} src=${peerAvatar(c.id)} size=${36} />`}
          <span class="conversation-text">
            <span class="conversation-name">${c.id === "broadcast" ? "Broadcast" : c.name}</span>
            <span class="conversation-preview">${preview}</span>
          </span>
          ${count > 0
            ? html`
              <span class="unread"
                data-testid="unread">${count}<span class="visually-hidden"> unread</span></span>
            `
            : null}
        </a>
    </li>
  `;
}

function peerAvatar(id) {
  return peers.value?.peers?.find((p) => p.peer_id === id)?.avatar ?? null;
}

function MessageItem({ m, broadcast }) {
  const state = m.outgoing ? (broadcast ? STATE_LABEL.sent : STATE_LABEL[m.state]) : null;
  return html`<li class=${`msg ${m.outgoing ? "out" : "in"}`} data-id=${m.id} data-state=${m.state}>
    ${
    !m.outgoing && broadcast
      ? html`<p class="msg-from"><span data-testid="msg-from">${
        m.origin_name || peerName(m.origin)
      }</span>${
        (m.origin_device_name || deviceOf(m.origin))
          ? html`<span class="muted msg-device">${` · ${
            m.origin_device_name || deviceOf(m.origin)
          }`}</span>`
          : null
      }</p>`
      : null
  }
    <p class="msg-text">${m.content}</p>
    <p class="msg-meta">
      <time datetime=${m.timestamp} title=${`Sent ${new Date(m.timestamp).toLocaleString()}`}>${
    clock(m.received_at)
  }</time>
      ${
    m.from_pending_peer
      ? html`
        <${Badge} kind="warn">contact request<//>
      `
      : null
  }
      ${
    state
      ? html`
        <span class=${`msg-state state-${broadcast ? "sent" : m.state}`} title=${state
          .hint} data-testid="msg-state">
                  <span aria-hidden="true">${state.icon}</span> ${state.text}</span>
      `
      : null
  }
    </p>
  </li>`;
}

function MessageComposer({ conversation, peer }) {
  const broadcast = conversation === "broadcast";
  const blocked = peer?.state === "blocked";
  const send = async (content) => {
    const body = broadcast ? { content, broadcast: true } : { content, peer_id: conversation };
    const res = await post("/p2p/send", body);
    // The "message" event brings the stored message; this covers a stream that is down.
    upsert([{
      id: res.message_id,
      type: broadcast ? "broadcast" : "direct",
      origin: "",
      outgoing: true,
      peer_id: broadcast ? null : conversation,
      content,
      timestamp: new Date().toISOString(),
      received_at: new Date().toISOString(),
      seq: 0,
      state: res.state ?? "sent",
      from_pending_peer: false,
      ...messages.value.get(res.message_id),
    }]);
  };
  return html`
    <${Composer} id="compose" testid="composer" sendTestid="send" disabled=${blocked}
      label=${broadcast ? "Broadcast message" : `Message to ${peerName(conversation)}`}
      placeholder=${blocked
        ? "This peer is blocked"
        : broadcast
        ? "Write to every connected peer…"
        : "Write a message… (Enter sends, Shift+Enter for a new line)"}
      sendLabel="Send" busyLabel="Sending…" onSend=${send} />
  `;
}

function Thread({ conversation }) {
  useValue(messages); // re-render on every change of the store
  const peerData = useValue(peers);
  const [state, setState] = useState({ loading: true, error: null, more: false });
  const list = useRef(/** @type {HTMLOListElement | null} */ (null));
  const stick = useRef(true);
  const broadcast = conversation === "broadcast";
  const peer = peerData?.peers?.find((p) => p.peer_id === conversation);
  const items = messagesOf(conversation);

  useEffect(() => {
    let live = true;
    activeConversation.value = conversation;
    stick.current = true;
    setState({ loading: true, error: null, more: false });
    loadConversation(conversation).then(
      (n) => live && setState({ loading: false, error: null, more: n >= PAGE_LIMIT }),
      (error) => live && setState({ loading: false, error, more: false }),
    ).finally(() => live && markRead(conversation));
    return () => {
      live = false;
      if (activeConversation.value === conversation) activeConversation.value = null;
    };
  }, [conversation]);

  useEffect(() => {
    if (document.visibilityState === "visible") markRead(conversation);
  }, [items.length]);

  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [items.length, conversation, state.loading]);

  const onScroll = (e) => {
    const el = e.currentTarget;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };
  const older = async () => {
    const before = items[0]?.received_at;
    stick.current = false;
    try {
      const n = await loadConversation(conversation, before);
      setState((s) => ({ ...s, more: n >= PAGE_LIMIT }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };

  const connectedCount = peerData?.connected_peers?.length ?? 0;
  const status = broadcast
    ? `To every connected peer (${
      plural(connectedCount, "peer")
    } now); peers offline catch up later.`
    : peer?.connected
    ? "Connected: messages go straight through."
    : peer?.state === "pending"
    ? "Asked to connect: accept it on the Connect page to reply as a contact."
    : "Offline: messages wait in the outbox and are delivered when it reconnects.";
  const name = broadcast ? "Broadcast" : peerName(conversation);
  const device = broadcast ? null : deviceOf(conversation);
  return html`
    <section class="thread" aria-labelledby="thread-title" data-conversation=${conversation}>
      <header class="thread-head">
        <a href="/messages" class="btn btn-small btn-ghost back-link">← Conversations</a>
        <div>
          <h2 id="thread-title">${name}${device && device !== name
            ? [
              " ",
              html`<span class="muted thread-device" data-testid="thread-device">${`on ${device}`}</span>`,
            ]
            : null}</h2>
          <p class="hint">${!broadcast
            ? html`
              <code>${shortId(conversation)}</code> ·
            `
            : null}${status}</p>
        </div>
      </header>
      <ol class="messages" ref=${list} onScroll=${onScroll} data-testid="message-list"
        aria-live="polite" aria-relevant="additions">
          ${state.more
            ? html`
              <li
                class="more"><button type="button" class="btn btn-small" onClick=${older}>Load older messages</button></li>
            `
            : null}
          ${state.loading && items.length === 0
            ? html`
              <li>
                <${Loading} label="Loading messages…" />
              </li>
            `
            : null}
          ${!state.loading && items.length === 0
            ? html`
              <li>
                <${Empty} title="No messages yet">${broadcast
                  ? "Say hello to everyone you are connected to."
                  : `Start the conversation with ${name}.`}<//></li>
            `
            : null}
          ${items.map((m) => html`<${MessageItem} key=${m.id} m=${m} broadcast=${broadcast} />`)}
        </ol>
      <${ErrorBox} error=${state.error} />
      <${MessageComposer} conversation=${conversation} peer=${peer} />
    </section>
  `;
}

export function MessagesPage() {
  const r = useValue(route);
  const all = useValue(messages);
  const isLoaded = useValue(loaded);
  const counts = useValue(unread);
  const peerData = useValue(peers);
  const selected = new URL(r, location.origin).searchParams.get("to");
  const conversations = conversationList(all, peerData?.peers);
  return html`
    <div class="page page-messages">
      <${PageHeader} title="Messages" />
      <div class=${`chat${selected ? " has-selection" : ""}`}>
          <nav class="conversations" aria-label="Conversations">
            ${!isLoaded ? html`<${Loading} label="Loading conversations…" />` : null}
            <ul data-testid="conversations">
              ${conversations.map((c) =>
                html`<${ConversationItem} key=${c.id} c=${c} selected=${c.id === selected} count=${
                  counts[c.id] ?? 0
                } />`
              )}
            </ul>
            ${conversations.length === 1
              ? html`<p class="hint">Peers you connect to on the Connect page appear here.</p>`
              : null}
          </nav>
          ${selected ? html`<${Thread} key=${selected} conversation=${selected} />` : html`
            <div class="thread thread-empty">
              <${Empty}
                title="Pick a conversation">Choose a peer, or Broadcast to write to everyone connected.<//></div>
          `}
        </div>
    </div>
  `;
}
