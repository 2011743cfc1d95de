/**
 * The shell of every page once logged in: a skip link, the sidebar with
 * the navigation (Connect, Messages, Channels, Settings, API Keys), the
 * live-connection indicator and the account menu, then the page. On a
 * narrow screen the sidebar becomes a bar on top.
 * @module
 */
import { html, useState, useValue } from "../lib/html.js";
import { connection } from "../lib/events.js";
import { post } from "../lib/api.js";
import { navigate } from "../lib/router.js";
import * as events from "../lib/events.js";
import { auth, loggedOut } from "../state/session.js";
import { totalUnread } from "../state/messages.js";
import { Icon } from "./icons.js";

/** The navigation, in order. Phase 2 pages plug in here. */
export const NAV = [
  { path: "/connect", label: "Connect", icon: "connect" },
  { path: "/messages", label: "Messages", icon: "messages" },
  { path: "/channels", label: "Channels", icon: "channels" },
  { path: "/settings", label: "Settings", icon: "settings" },
  { path: "/keys", label: "API Keys", icon: "keys" },
];

const LIVE_TEXT = {
  idle: "Offline",
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
};

function LiveIndicator() {
  const state = useValue(connection);
  return html`<p class=${`live live-${state}`} role="status" data-testid="live-state" data-state=${state}>
    <span class="live-dot" aria-hidden="true"></span>${LIVE_TEXT[state] ?? state}
  </p>`;
}

function LogoutButton() {
  const [busy, setBusy] = useState(false);
  const logout = async () => {
    setBusy(true);
    try {
      await post("/auth/logout");
    } catch {
      // the session may be gone already: log out locally anyway
    }
    events.stop();
    loggedOut("You have logged out.");
    navigate("/login", { replace: true });
  };
  return html`
    <button type="button" class="btn btn-small btn-ghost" onClick=${logout} disabled=${busy}
      data-testid="logout">
        ${busy ? "Logging out…" : "Log out"}
      </button>
  `;
}

/**
 * @param {{ path: string, children: any }} props
 */
export function Layout({ path, children }) {
  const { username } = useValue(auth);
  const unread = useValue(totalUnread);
  return html`
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="sidebar">
        <a class="brand" href="/connect" aria-label="Canopy home">
            <img src="/favicon.svg" alt="" width="28" height="28" /><span>Canopy</span>
          </a>
        <nav aria-label="Main">
          <ul class="nav">
              ${NAV.map((item) =>
                html`
                  <li>
                    <a href=${item.path} aria-current=${path === item.path ? "page" : undefined}
                      data-testid=${`nav-${item.path.slice(1)}`}>
                                  <span class="nav-icon"><${Icon} name=${item.icon} /></span>
                                  <span class="nav-label">${item.label}</span>
                                  ${item.path === "/messages" && unread > 0
                                    ? html`
                                      <span class="unread"
                                        data-testid="nav-unread">${unread}<span class="visually-hidden"> unread</span></span>
                                    `
                                    : null}
                                </a>
                  </li>
                `
              )}
            </ul>
        </nav>
        <div class="sidebar-foot">
          <${LiveIndicator} />
          <p class="whoami">Signed in as <strong data-testid="username">${username}</strong></p>
          <${LogoutButton} />
        </div>
      </header>
      <main id="main" tabindex="-1">${children}</main>
    </div>
  `;
}
