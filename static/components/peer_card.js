/**
 * One peer on the Connect page: avatar, names, route badge (green "Direct"
 * or blue "Via <relay>"), last activity, and the actions its state allows.
 * Actions report their outcome on the card.
 * @module
 */
import { html, useState } from "../lib/html.js";
import { post } from "../lib/api.js";
import { shortId } from "../lib/format.js";
import { loadPeers, peerName } from "../state/peers.js";
import { Avatar, Badge, ConfirmButton, TimeAgo } from "./ui.js";

/**
 * The name a person sees for a peer, and a second line for its device.
 * @param {any} peer
 */
export function namesOf(peer) {
  const title = peer.display_name || peer.name || peer.device_name || shortId(peer.peer_id);
  const device = peer.device_name && peer.device_name !== title ? peer.device_name : null;
  return { title, device };
}

/**
 * The relay a peer is reached through, if any (route "relay").
 * @param {any} peer
 */
function relayOf(peer) {
  return peer.route === "relay" ? (peer.via ?? peer.relay_peer_id ?? peer.relay ?? null) : null;
}

/**
 * @param {{ peer: any, children?: any }} props
 */
export function RouteBadge({ peer }) {
  if (!peer.connected) return null;
  const relay = relayOf(peer);
  if (relay) {
    return html`<${Badge} kind="relay" title=${`Relayed through ${relay}`}>Via ${
      peerName(relay)
    }<//>`;
  }
  return html`<${Badge} kind="direct" title="A direct, end-to-end encrypted link">Direct<//>`;
}

/**
 * @param {{ peer: any, actions?: string[], note?: any }} props
 *   actions: any of "disconnect", "reconnect", "connect", "forget", "accept", "block", "unblock"
 */
export function PeerCard({ peer, actions = [], note }) {
  const [busy, setBusy] = useState("");
  const [outcome, setOutcome] = useState(
    /** @type {{ ok: boolean, text: string } | null} */ (null),
  );
  const { title, device } = namesOf(peer);

  const act = async (name, path, describe) => {
    setBusy(name);
    setOutcome(null);
    try {
      const res = await post(path, { peer_id: peer.peer_id });
      const text = describe(res);
      if (text) setOutcome(text);
    } catch (e) {
      setOutcome({ ok: false, text: e.message });
    } finally {
      setBusy("");
      loadPeers();
    }
  };
  const reconnect = () =>
    act(
      "reconnect",
      "/p2p/reconnect",
      (r) =>
        r.status === "connected"
          ? { ok: true, text: `Connected at ${r.connected_endpoint}.` }
          : { ok: false, text: `Not connected: ${r.message ?? "no endpoint answered"}` },
    );
  const connectIntroduced = () =>
    act(
      "connect",
      "/p2p/connect_introduced",
      (r) =>
        r.status === "connected"
          ? {
            ok: true,
            text: `Connected${r.connected_endpoint ? ` at ${r.connected_endpoint}` : ""}.`,
          }
          : { ok: false, text: `Not connected: ${r.message ?? "no route found"}` },
    );

  const buttons = {
    accept: html`
      <button type="button" class="btn btn-primary btn-small" disabled=${!!busy}
        onClick=${() =>
          act("accept", "/p2p/accept", () => null)} data-testid="peer-accept">Accept</button>
    `,
    block: html`
      <${ConfirmButton} label="Block" class="btn btn-small" testid="peer-block"
        title=${`Block ${title}?`} disabled=${!!busy}
        onConfirm=${() => act("block", "/p2p/block", () => null)}>
            Its connections will be refused. You can unblock it later.<//>
    `,
    unblock: html`
      <button type="button" class="btn btn-small" disabled=${!!busy}
        onClick=${() => act("accept", "/p2p/accept", () => null)}>Unblock</button>
    `,
    reconnect: html`
      <button type="button" class="btn btn-small" disabled=${!!busy}
        onClick=${reconnect} data-testid="peer-reconnect">${busy === "reconnect"
          ? "Connecting…"
          : "Reconnect"}</button>
    `,
    connect: html`
      <button type="button" class="btn btn-primary btn-small" disabled=${!!busy}
        onClick=${peer.source === "introduced" && !peer.endpoints?.length
          ? connectIntroduced
          : reconnect}
        data-testid="peer-connect">${busy ? "Connecting…" : "Connect"}</button>
    `,
    disconnect: html`
      <button type="button" class="btn btn-small" disabled=${!!busy}
        onClick=${() => act("disconnect", "/p2p/disconnect", () => null)}
        data-testid="peer-disconnect">Disconnect</button>
    `,
    forget: html`
      <${ConfirmButton} label="Forget" class="btn btn-small btn-ghost" testid="peer-forget"
        title=${`Forget ${title}?`} disabled=${!!busy}
        onConfirm=${() => act("forget", "/p2p/forget", () => null)}>
            It is removed from your peers and not redialled. Its messages stay.<//>
    `,
  };

  return html`
    <li class="peer" data-peer-id=${peer.peer_id} data-state=${peer.state}>
      <${Avatar} id=${peer.peer_id} name=${title} src=${peer.avatar} />
      <div class="peer-main">
          <p class="peer-title">
            <strong class="peer-name">${title}</strong>
            ${device
              ? html`
                <span class="muted">on ${device}</span>
              `
              : null}
            ${" "}<${RouteBadge} peer=${peer} />
            ${peer.state === "pending"
              ? html`
                <${Badge} kind="warn">Wants to connect<//>
              `
              : null}
            ${peer.state === "blocked"
              ? html`
                <${Badge} kind="danger">Blocked<//>
              `
              : null}
          </p>
          <p class="peer-meta">
            <code title="Peer ID">${peer.peer_id}</code>
            ${peer.connected
              ? html`
                · ${peer.direction === "inbound"
                  ? "they connected"
                  : "we connected"} · active <${TimeAgo} iso=${peer.last_seen} />
              `
              : html`
                · last seen <${TimeAgo} iso=${peer.last_seen} />
              `}
          </p>
          ${peer.fingerprint
            ? html`<p class="peer-meta">Safety number <code>${peer.fingerprint}</code></p>`
            : null}
          ${note ? html`<p class="peer-meta">${note}</p>` : null}
          ${!peer.connected && peer.last_error && peer.state !== "blocked"
            ? html`<p class="peer-meta muted">Last error: ${peer.last_error}</p>`
            : null}
          ${outcome
            ? html`<p class=${`peer-outcome ${
              outcome.ok ? "ok" : "bad"
            }`} role="status">${outcome.text}</p>`
            : null}
        </div>
      <div class="peer-actions">${actions.map((a) => buttons[a])}</div>
    </li>
  `;
}
