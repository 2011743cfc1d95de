/**
 * One peer on the Connect page: avatar, names (display name, device), route
 * badge (green "Direct" or blue "Via <relay>"), last activity, and the
 * actions its state allows. Actions report their outcome on the card;
 * connecting to an introduced peer shows its progress and each step tried
 * (direct, broker, relay).
 * @module
 */
import { html, signal, useEffect, useState, useValue } from "../lib/html.js";
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
 * @param {{ peer: any }} props
 */
export function RouteBadge({ peer }) {
  if (!peer.connected) return null;
  const relay = relayOf(peer);
  if (relay) {
    const label = `Via ${peerName(relay)}`;
    const title = `Relayed through ${relay}; still end-to-end encrypted`;
    return html`<${Badge} kind="relay" title=${title}>${label}<//>`;
  }
  return html`<${Badge} kind="direct" title="A direct, end-to-end encrypted link">Direct<//>`;
}

/** What each step of connecting to an introduced peer is called. */
const STEP_LABEL = {
  direct: "Direct connection",
  broker: "Introduction through the broker",
  relay: "Relay",
};

/**
 * Seconds since the component appeared, ticking (for long waits).
 */
function useElapsed() {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const t = setInterval(() => setSeconds(Math.round((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(t);
  }, []);
  return seconds;
}

/**
 * Shown while /p2p/connect_introduced runs (up to ~20 s when brokering).
 * @param {{ introducer: string | null }} props
 */
function IntroducedProgress({ introducer }) {
  const seconds = useElapsed();
  const via = introducer ? peerName(introducer) : "the introducer";
  return html`
    <div class="connect-progress" role="status" data-testid="connect-progress">
      <p><span class="spinner" aria-hidden="true"></span> Connecting… <span class="muted">${seconds} s</span></p>
      <ol class="steps steps-plan">
        <li>Dial its endpoints directly</li>
        <li>If that fails, ask ${via} to introduce us so it dials back</li>
        <li>If that fails too, relay through ${via} (when it allows relaying)</li>
      </ol>
    </div>
  `;
}

/**
 * The steps /p2p/connect_introduced tried, each with its outcome.
 * @param {{ steps: { step: string, ok: boolean, detail: string }[] }} props
 */
function Steps({ steps }) {
  return html`<ol class="steps" data-testid="connect-steps">${
    steps.map((s) =>
      html`<li class=${s.ok ? "ok" : "bad"} data-step=${s.step} data-ok=${String(s.ok)}>
        <span aria-hidden="true">${s.ok ? "✓ " : "✗ "}</span>
        <span class="visually-hidden">${s.ok ? "succeeded: " : "failed: "}</span>
        <strong>${STEP_LABEL[s.step] ?? s.step}</strong>${s.detail ? ` — ${s.detail}` : null}
      </li>`
    )
  }</ol>`;
}

/** Outcome of /p2p/reconnect or /p2p/connect_discovered. */
function dialOutcome(r) {
  return r.status === "connected"
    ? { ok: true, text: `Connected at ${r.connected_endpoint}.` }
    : { ok: false, text: `Not connected: ${r.message ?? "no endpoint answered"}` };
}

/** Outcome of /p2p/connect_introduced. */
function introducedOutcome(r) {
  const steps = r.steps ?? [];
  if (r.status === "connected") return { ok: true, text: "Connected directly.", steps };
  if (r.status === "relayed") {
    return { ok: true, text: `Connected through ${peerName(r.via)} (relayed).`, steps };
  }
  return { ok: false, text: `Not connected: ${r.message ?? "no route found"}`, steps };
}

/**
 * The outcome of the last action on each peer, by peer id. Kept outside the
 * cards: a peer that connects moves to another list (a new card), and its
 * outcome must follow it. The Connect page clears it when it closes.
 */
export const outcomes = signal(
  /** @type {Map<string, { ok: boolean, text: string, steps?: any[] }>} */ (new Map()),
);

/**
 * @param {string} peerId
 * @param {{ ok: boolean, text: string, steps?: any[] } | null} outcome
 */
function setOutcome(peerId, outcome) {
  const next = new Map(outcomes.value);
  if (outcome) next.set(peerId, outcome);
  else next.delete(peerId);
  outcomes.value = next;
}

/** Forgets every outcome (when the Connect page closes). */
export function clearOutcomes() {
  if (outcomes.value.size) outcomes.value = new Map();
}

/**
 * @param {{ peer: any, actions?: string[], note?: any,
 *   connectWith?: "reconnect" | "introduced" | "discovered", introducer?: string | null }} props
 *   actions: any of "disconnect", "reconnect", "connect", "forget", "accept", "block", "unblock";
 *   connectWith: which call the Connect button makes (default: /p2p/reconnect).
 */
export function PeerCard(
  { peer, actions = [], note, connectWith = "reconnect", introducer = null },
) {
  const [busy, setBusy] = useState("");
  const outcome = useValue(outcomes).get(peer.peer_id);
  const { title, device } = namesOf(peer);
  const activity = !peer.connected
    ? "last seen"
    : `${
      peer.direction === "inbound"
        ? "they connected"
        : peer.direction === "outbound"
        ? "we connected"
        : "connected"
    } · active`;

  const act = async (name, path, describe) => {
    setBusy(name);
    setOutcome(peer.peer_id, null);
    try {
      const res = await post(path, { peer_id: peer.peer_id });
      setOutcome(peer.peer_id, describe(res));
    } catch (e) {
      setOutcome(peer.peer_id, { ok: false, text: e.message });
    } finally {
      setBusy("");
      loadPeers();
    }
  };
  const reconnect = () => act("reconnect", "/p2p/reconnect", dialOutcome);
  const connect = {
    reconnect: () => act("connect", "/p2p/reconnect", dialOutcome),
    introduced: () => act("connect", "/p2p/connect_introduced", introducedOutcome),
    discovered: () => act("connect", "/p2p/connect_discovered", dialOutcome),
  }[connectWith];

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
        onClick=${connect} data-testid="peer-connect">${busy === "connect"
          ? "Connecting…"
          : "Connect"}</button>
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
    <li class="peer" data-peer-id=${peer.peer_id} data-state=${peer.state}
      data-route=${peer.connected ? (peer.route ?? "") : ""}>
      <${Avatar} id=${peer.peer_id} name=${title} src=${peer.avatar} />
      <div class="peer-main">
          <p class="peer-title">
            <strong class="peer-name" data-testid="peer-name">${title}</strong>${device
              ? [
                " ",
                html`<span class="muted peer-device">${"on "}<span data-testid="peer-device">${device}</span></span>`,
              ]
              : null}${" "}<${RouteBadge} peer=${peer} />
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
            <code title="Peer ID">${peer.peer_id}</code>${` · ${activity} `}<${TimeAgo} iso=${peer
              .last_seen} />
          </p>
          ${peer.fingerprint
            ? html`<p class="peer-meta">Safety number <code>${peer.fingerprint}</code></p>`
            : null}
          ${note ? html`<p class="peer-meta" data-testid="peer-note">${note}</p>` : null}
          ${!peer.connected && peer.last_error && peer.state !== "blocked"
            ? html`<p class="peer-meta muted">Last error: ${peer.last_error}</p>`
            : null}
          ${busy === "connect" && connectWith === "introduced"
            ? html`<${IntroducedProgress} introducer=${introducer} />`
            : null}
          ${outcome
            ? html`
              <div class=${`peer-outcome ${outcome.ok ? "ok" : "bad"}`} role="status"
                data-testid="peer-outcome" data-ok=${String(outcome.ok)}>
                              <p>${outcome.text}</p>
                              ${outcome.steps?.length
                                ? html`<${Steps} steps=${outcome.steps} />`
                                : null}
                            </div>
            `
            : null}
        </div>
      <div class="peer-actions">${actions.map((a) => buttons[a])}</div>
    </li>
  `;
}
