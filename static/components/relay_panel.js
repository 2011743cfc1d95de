/**
 * Mesh Relay (Settings): how much this node helps peers that cannot reach
 * each other (SPEC §6), and the relay status — the policy, the relays this
 * node uses now, its routing table, and the pairs it relays for. Follows
 * `relay_policy` and `relay_route` events live.
 * @module
 */
import { html, useEffect, useResource, useState, useValue } from "../lib/html.js";
import { api, post } from "../lib/api.js";
import { on } from "../lib/events.js";
import { peerName, peers } from "../state/peers.js";
import { Avatar, ErrorBox, Field, Loading } from "./ui.js";

/** The policies, in the order the dropdown offers them. */
export const POLICIES = [
  {
    id: "off",
    label: "Off",
    text: "Help nobody: this node forwards nothing for other peers.",
  },
  {
    id: "broker_only",
    label: "Broker only (default)",
    text: "Introduce peers to each other so they can connect directly; relay no traffic.",
  },
  {
    id: "full_relay",
    label: "Full relay",
    text: "Also carry end-to-end encrypted traffic between peers that cannot reach each " +
      "other. Uses your bandwidth; you never see their messages.",
  },
];

/** Events after which the status is fetched again. */
export const RELAY_EVENTS = ["relay_policy", "relay_route", "peer_connected", "peer_disconnected"];

/** Wait after an event before fetching, so a burst costs one request (ms). */
const DEBOUNCE_MS = 100;

/** Relay status plus the pairs this node relays for (from /info's diagnostics). */
async function loadStatus() {
  const [status, info] = await Promise.all([
    api("/p2p/relay_status"),
    api("/info").catch(() => null),
  ]);
  return { ...status, relaying_for: info?.mesh?.relaying_for ?? null };
}

/**
 * A peer id with its avatar and name.
 * @param {{ id: string }} props
 */
function PeerLabel({ id }) {
  const p = peers.value?.peers?.find((x) => x.peer_id === id);
  const name = peerName(id);
  return html`
    <span class="peer-label" title=${id}>
      <${Avatar} id=${id} name=${name} src=${p?.avatar} size=${24} />
      <span>${name}${name === id
        ? null
        : [" ", html`<code class="muted">${id.slice(0, 6)}…</code>`]}</span>
    </span>
  `;
}

/**
 * A two-column table of peer id → relay peer id.
 * @param {{ map: Record<string, string>, caption: string, testid: string, empty: string }} props
 */
function RouteTable({ map, caption, testid, empty }) {
  const rows = Object.entries(map ?? {});
  if (rows.length === 0) {
    return html`
      <div data-testid=${testid} data-rows="0">
        <p class="table-caption">${caption}</p>
        <p class="hint">${empty}</p>
      </div>
    `;
  }
  return html`
    <div class="table-wrap">
      <table class="table" data-testid=${testid} data-rows=${rows.length}>
        <caption class="table-caption">${caption}</caption>
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col">Reached through</th>
          </tr>
        </thead>
        <tbody>${rows.map(([peer, via]) =>
          html`
            <tr key=${peer} data-peer-id=${peer} data-via=${via}>
              <td>
                <${PeerLabel} id=${peer} />
              </td>
              <td>
                <${PeerLabel} id=${via} />
              </td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

/** The policy form and the status tables. */
export function RelayPanel() {
  useValue(peers); // names in the tables follow profile changes
  const status = useResource(loadStatus, []);
  const [choice, setChoice] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {any} */ (null));
  const [done, setDone] = useState("");

  useEffect(() => {
    let timer = 0;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void status.reload(), DEBOUNCE_MS);
    };
    const offs = [...RELAY_EVENTS, "resync"].map((type) => on(type, reload));
    return () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  }, [status.reload]);

  if (!status.data) {
    return status.error
      ? html`<${ErrorBox} error=${status.error} onRetry=${status.reload} />`
      : html`<${Loading} label="Loading the relay status…" />`;
  }
  const current = status.data.relay_policy;
  const selected = choice ?? current;
  const describe = POLICIES.find((p) => p.id === selected)?.text ?? "";

  const apply = async (e) => {
    e.preventDefault();
    if (selected === current) return;
    setBusy(true);
    setError(null);
    setDone("");
    try {
      const res = await post("/p2p/relay_policy", { policy: selected });
      setChoice(null);
      setDone(`Relay policy set to ${res.relay_policy}.`);
      await status.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const pairs = status.data.relaying_for;
  return html`
    <form class="relay-form" onSubmit=${apply} data-testid="relay-form">
      <${Field} id="relay-policy-select" label="Relay policy" hint=${describe}>
        <select id="relay-policy-select" value=${selected} disabled=${busy}
          aria-describedby="relay-policy-select-hint"
          onChange=${(e) => {
            setDone("");
            setChoice(e.currentTarget.value);
          }}>
          ${POLICIES.map((p) => html`<option value=${p.id}>${p.label}</option>`)}
        </select>
        <//>
        <button type="submit" class="btn btn-primary" disabled=${busy || selected === current}
          data-testid="relay-apply">${busy ? "Applying…" : "Apply"}</button>
        </form>
        <${ErrorBox} error=${error} />
        <div role="status">${done
          ? html`<p class="alert alert-ok" data-testid="relay-saved">${done}</p>`
          : null}</div>
        <div class="relay-status" data-testid="relay-status">
      <dl class="facts">
        <dt>Policy now</dt>
        <dd><strong data-testid="relay-policy">${current}</strong></dd>
      </dl>
      <${RouteTable} map=${status.data.active_relays} caption="Active relays"
        testid="relay-active" empty="No peer is reached through a relay right now." />
      <${RouteTable} map=${status.data.routing_table} caption="Routing table"
        testid="relay-routes" empty="No relay routes: every connected peer is reached directly." />
      ${pairs
        ? html`<div data-testid="relaying-for">
          <p class="table-caption">This node relays for</p>
          ${
          pairs.length === 0
            ? html`<p class="hint">${
              current === "full_relay"
                ? "Nobody yet: peers get an offer when they cannot reach each other."
                : "Nobody (only the Full relay policy carries traffic)."
            }</p>`
            : html`<ul class="pairs">${
              pairs.map(([a, b]) =>
                html`<li key=${`${a}|${b}`}><${PeerLabel} id=${a} />${" ⇄ "}<${PeerLabel} id=${b} /></li>`
              )
            }</ul>`
        }
        </div>`
        : null}
        </div>
  `;
}
