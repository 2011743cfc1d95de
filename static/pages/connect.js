/**
 * Connect (the seed guide's page): your invite code with Copy and a QR
 * code, Regenerate with a public IP and port; Import Friend's Invite with
 * its outcome; contact requests; connected, known/introduced and
 * discovered peers with their actions; your identity's fingerprint. The
 * peer lists follow peer events live.
 * @module
 */
import { html, useEffect, useResource, useState, useValue } from "../lib/html.js";
import { api, post } from "../lib/api.js";
import { on } from "../lib/events.js";
import { introduced, loadPeers, peerName, peers, peersError } from "../state/peers.js";
import { clearOutcomes, namesOf, PeerCard } from "../components/peer_card.js";
import { QrCode } from "../components/qr_code.js";
import {
  Avatar,
  Badge,
  CopyButton,
  Empty,
  ErrorBox,
  Field,
  Loading,
  PageHeader,
  Section,
} from "../components/ui.js";

function InviteSection() {
  const [publicHost, setPublicHost] = useState("");
  const [publicPort, setPublicPort] = useState("");
  const [query, setQuery] = useState("");
  const invite = useResource(() => api(`/p2p/invite${query}`), [query]);
  const [formError, setFormError] = useState("");

  const regenerate = (e) => {
    e.preventDefault();
    setFormError("");
    const host = publicHost.trim();
    const port = publicPort.trim();
    if (port && !/^\d{1,5}$/.test(port)) {
      setFormError("The port must be a number from 1 to 65535.");
      return;
    }
    const q = new URLSearchParams();
    if (host) q.set("public_host", host);
    if (port) q.set("public_port", port);
    const next = q.toString() ? `?${q}` : "";
    if (next === query) invite.reload();
    else setQuery(next);
  };

  const code = invite.data?.invite_code ?? "";
  return html`<${Section} title="Your Invite Code" id="invite">
    <p class="hint">Give this code to a friend: it holds your public keys and where to reach you.
      It is not secret.</p>
    ${invite.loading && !invite.data ? html`<${Loading} label="Making your invite code…" />` : null}
    <${ErrorBox} error=${invite.error} onRetry=${invite.reload} />
    ${
    invite.data
      ? html`
        <div class="invite">
          <div class="invite-code">
            <label for="invite-code" class="visually-hidden">Your invite code</label>
            <textarea id="invite-code" readonly rows="4" spellcheck="false" value=${code}
              onFocus=${(e) => e.currentTarget.select()}></textarea>
            <div class="row">
              <${CopyButton} text=${code} id="copy-invite" label="Copy invite code"
                class="btn btn-primary" />
            </div>
            <p class="hint">Endpoints: ${invite.data.endpoints.map((ep, i) =>
              html`${i ? ", " : ""}<code>${ep}</code>`
            )}</p>
          </div>
          <${QrCode} text=${code} label="QR code of your invite code" />
        </div>
      `
      : null
  }
    <form class="inline-form" onSubmit=${regenerate} data-testid="regenerate-form">
      <${Field} id="public-host" label="Public IP or host name" hint="Optional: where friends outside your network reach you (port forwarding or VPN address).">
        <input id="public-host" value=${publicHost} placeholder="198.51.100.1" autocomplete="off"
          spellcheck="false" onInput=${(e) => setPublicHost(e.currentTarget.value)} />
      <//>
      <${Field} id="public-port" label="Public port" error=${formError}>
        <input id="public-port" value=${publicPort} placeholder="7771" inputmode="numeric"
          onInput=${(e) => setPublicPort(e.currentTarget.value)} />
      <//>
      <button type="submit" class="btn" data-testid="regenerate">Regenerate</button>
    </form>
  <//>`;
}

function ImportSection() {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {any} */ (null));

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    if (!code.trim()) {
      setError(new Error("Paste your friend's invite code first."));
      return;
    }
    setBusy(true);
    try {
      const res = await post("/p2p/invite/import", { invite_code: code.trim() });
      setResult(res);
      if (res.status === "connected") setCode("");
      loadPeers();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <${Section} title="Import Friend's Invite" id="import">
      <form onSubmit=${submit} data-testid="import-form">
        <${Field} id="import-code" label="Friend's invite code"
          hint="Starts with canopy: — line breaks and spaces from copying are fine.">
          <textarea id="import-code" rows="4" spellcheck="false" value=${code}
            placeholder="canopy:eyJ2IjoxLCJwaWQiOi…" onInput=${(e) =>
              setCode(e.currentTarget.value)}></textarea>
          <//>
          <button type="submit" class="btn btn-primary" disabled=${busy}
            data-testid="import-submit">
            ${busy ? "Connecting…" : "Connect"}
          </button>
          </form>
          <div aria-live="polite">
          ${result?.status === "connected"
            ? html`<p class="alert alert-ok" data-testid="import-outcome" data-status="connected">
            <strong>Connected</strong> to ${
              peerName(result.peer_id)
            } (<code>${result.peer_id}</code>)
            at <code>${result.connected_endpoint}</code>.
          </p>`
            : result
            ? html`<div class="alert alert-warn" data-testid="import-outcome" data-status=${result.status}>
            <p><strong>Imported, but not connected.</strong> ${result.message}</p>
            ${
              result.errors?.length
                ? html`<ul class="attempts">${
                  result.errors.map((a) => html`<li><code>${a.endpoint}</code>: ${a.error}</li>`)
                }</ul>`
                : null
            }
            <p class="hint">The peer is saved and will be redialled. Check that it is running and
              that its mesh port is reachable, or ask for an invite with a public address.</p>
          </div>`
            : null}
        </div>
          <${ErrorBox} error=${error} title="Could not import:" />
          <//>
  `;
}

/** This node's identity and how peers see it. */
async function loadIdentity() {
  const [info, user, device] = await Promise.all([
    api("/info"),
    api("/profile").catch(() => null),
    api("/device/profile").catch(() => null),
  ]);
  return { info, user, device };
}

function IdentitySection() {
  const me = useResource(loadIdentity, []);
  const myId = me.data?.info.peer_id;
  useEffect(() => {
    if (!myId) return;
    return on("profile_updated", (data) => {
      if (data?.peer_id === myId) me.reload();
    });
  }, [myId]);
  const info = me.data?.info;
  const shownAs = me.data?.user?.display_name;
  const device = me.data?.device?.device_name;
  return html`<${Section} title="Your Identity" id="identity">
    ${me.loading && !me.data ? html`<${Loading} />` : null}
    <${ErrorBox} error=${me.error} onRetry=${me.reload} />
    ${
    info
      ? html`
        <div class="identity">
          <${Avatar} id=${info.peer_id} name=${shownAs || device}
            src=${me.data?.user?.avatar ?? me.data?.device?.avatar} size=${48} />
          <p><strong data-testid="my-name">${shownAs || "No display name"}</strong>${device
            ? [
              " ",
              html`<span class="muted">${"on "}<span data-testid="my-device">${device}</span></span>`,
            ]
            : null}<br /><a href="/settings" class="hint">Change how peers see you</a></p>
        </div>
        <dl class="facts">
          <dt>Peer ID</dt>
          <dd><code data-testid="my-peer-id">${info.peer_id}</code></dd>
          <dt>Fingerprint</dt>
          <dd><code class="fingerprint" data-testid="my-fingerprint">${info.fingerprint}</code></dd>
        </dl>
        <p class="hint">Compare the fingerprint with your friend's by phone or in person: if it
                  matches what their Connect page shows for you, nobody is in between.</p>
      `
      : null
  }
  <//>`;
}

/**
 * @param {{ list: any[], actions: string[], empty: any, note?: (p: any) => any, testid: string,
 *   connectWith?: (p: any) => "reconnect" | "introduced" | "discovered",
 *   introducer?: (p: any) => string | null }} props
 */
function PeerList({ list, actions, empty, note, testid, connectWith, introducer }) {
  if (list.length === 0) return empty;
  return html`<ul class="peers" data-testid=${testid}>
    ${
    list.map((p) =>
      html`
        <${PeerCard} key=${p.peer_id} peer=${p} actions=${actions} note=${note?.(p)}
          connectWith=${connectWith?.(p)} introducer=${introducer?.(p) ?? null} />
      `
    )
  }
  </ul>`;
}

function PeersSections() {
  const data = useValue(peers);
  const error = useValue(peersError);
  const intros = useValue(introduced) ?? [];
  if (!data) {
    return error
      ? html`<${ErrorBox} error=${error} onRetry=${loadPeers} />`
      : html`<${Loading} label="Loading peers…" />`;
  }
  const all = data.peers ?? [];
  const introOf = new Map(intros.map((i) => [i.peer_id, i]));
  const byName = (a, b) => namesOf(a).title.localeCompare(namesOf(b).title);
  const pending = all.filter((p) => p.state === "pending").sort(byName);
  const connected = all.filter((p) => p.connected && p.state !== "pending").sort(byName);
  const known = all.filter((p) => p.state === "disconnected");
  // An introduction the peer list does not hold (yet): list it too.
  const listed = new Set(all.map((p) => p.peer_id));
  for (const i of intros) {
    if (!listed.has(i.peer_id) && !i.connected) {
      known.push({ ...i, state: "disconnected", source: "introduced", connected: false });
    }
  }
  known.sort(byName);
  const blocked = all.filter((p) => p.state === "blocked").sort(byName);
  const discovered = data.discovered_peers ?? [];

  const introducerOf = (p) => introOf.get(p.peer_id)?.introduced_by ?? p.introduced_by ?? null;
  // Connecting through connect_introduced suits any peer with an introducer (it dials directly
  // first); "Introduced by" is said only of peers we learnt from an introduction, not of a
  // friend whose invite we imported and whom someone else announced later.
  const hasIntroducer = (p) => introOf.has(p.peer_id) || p.source === "introduced";
  const introNote = (p) => {
    const by = introducerOf(p);
    if (!by || p.source !== "introduced") return null;
    const name = introOf.get(p.peer_id)?.introduced_by_name || peerName(by);
    return html`Introduced by <strong data-testid="introduced-by">${name}</strong>`;
  };
  return html`
    <${ErrorBox} error=${error} onRetry=${loadPeers} />
    <${Section} title="Contact Requests" id="requests" count=${pending.length}>
      <${PeerList} list=${pending} actions=${["accept", "block"]} testid="pending-peers"
        empty=${html`
          <${Empty}
            title="No pending requests">When someone who has your invite connects, you decide here whether to accept them.<//>
        `} />
      <//>
      <${Section} title="Connected Peers" id="connected" count=${connected.length}>
        <${PeerList} list=${connected} actions=${["reconnect", "disconnect", "forget"]}
          testid="connected-peers" note=${introNote}
          empty=${html`<${Empty} title="No peers connected">Import a friend's invite above, or give them yours.<//>`} />
        <//>
        <${Section} title="Known Peers / Introduced" id="known" count=${known.length}>
          <${PeerList} list=${known} actions=${["connect", "forget"]} testid="known-peers"
            note=${introNote}
            connectWith=${(p) => (hasIntroducer(p) ? "introduced" : "reconnect")}
            introducer=${introducerOf}
            empty=${html`
              <${Empty}
                title="No other known peers">Peers you connected to before, and peers your contacts introduce, appear here.<//>
            `} />
          <//>
          <${Section} title="Discovered Peers (LAN)" id="discovered" count=${discovered.length}>
      ${discovered.length === 0
        ? html`
          <${Empty}
            title="No Canopy nodes found on this network">Nodes on the same LAN appear here automatically (mDNS). Some routers block it: use invite codes then.<//>
        `
        : html`<ul class="peers" data-testid="discovered-peers">${
          discovered.map((d) => {
            const match = all.find((p) => p.peer_id === d.peer_id);
            return html`
              <${PeerCard} key=${d.peer_id}
                peer=${{
                  ...match,
                  ...d,
                  display_name: match?.display_name ?? null,
                  device_name: match?.device_name ?? d.name ?? null,
                  avatar: match?.avatar ?? null,
                  state: d.connected ? "connected" : "disconnected",
                  route: d.connected ? (match?.route ?? "direct") : null,
                  via: match?.via ?? null,
                }}
                actions=${d.connected || d.trust === "blocked" ? [] : ["connect"]}
                connectWith="discovered"
                note=${html`On your network at <code>${d.address}:${d.port}</code>${
                  d.keys_match === false
                    ? [" · ", html`<${Badge} kind="danger">Its keys do not match its ID<//>`]
                    : null
                }${d.trust === "blocked" ? " · blocked" : null}`} />
            `;
          })
        }</ul>`}
    <//>
    ${blocked.length
      ? html`
        <${Section} title="Blocked" id="blocked" count=${blocked.length}>
          <${PeerList} list=${blocked} actions=${[
            "unblock",
            "forget",
          ]} testid="blocked-peers" empty=${null} />
          <//>
      `
      : null}
  `;
}

export function ConnectPage() {
  useEffect(() => clearOutcomes, []);
  return html`
    <div class="page page-connect">
      <${PageHeader} title="Connect">Link this node with your friends' nodes.<//>
        <div class="grid-2">
          <${InviteSection} />
          <div class="stack">
            <${ImportSection} />
            <${IdentitySection} />
          </div>
        </div>
        <${PeersSections} />
      </div>
  `;
}
