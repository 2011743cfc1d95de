/**
 * Canopy's web UI: decides which page to show (setup, login, or one of the
 * pages behind the sidebar) from the session state and the URL, and starts
 * the live event stream once logged in.
 *
 * Layout of static/:
 *   app.js          this file: routing between pages
 *   lib/            html (Preact + htm + signals), api client, event stream, router, formatting
 *   state/          shared state: session, peers, messages, channels
 *   components/     layout and shared view components
 *   pages/          one file per page
 *   vendor/         pinned third-party files (see vendor/README.md)
 * @module
 */
import { html, render, useEffect, useValue } from "./lib/html.js";
import { navigate, route } from "./lib/router.js";
import * as events from "./lib/events.js";
import { api } from "./lib/api.js";
import { auth, refreshAuth } from "./state/session.js";
import { loadRecent } from "./state/messages.js";
import { loadPeers } from "./state/peers.js";
import { Layout } from "./components/layout.js";
import { ErrorBox, Loading } from "./components/ui.js";
import { SetupPage } from "./pages/setup.js";
import { LoginPage } from "./pages/login.js";
import { ConnectPage } from "./pages/connect.js";
import { MessagesPage } from "./pages/messages.js";
import { ChannelsPage } from "./pages/channels.js";
import { SettingsPage } from "./pages/settings.js";
import { KeysPage } from "./pages/keys.js";
import { NotFoundPage } from "./pages/not_found.js";

/** The pages behind the login, by path. */
export const PAGES = {
  "/connect": ConnectPage,
  "/messages": MessagesPage,
  "/channels": ChannelsPage,
  "/settings": SettingsPage,
  "/keys": KeysPage,
};

/** Goes somewhere else after rendering (never during it). */
function Redirect({ to }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return html`<${Loading} />`;
}

/** Asks the node whether our session still holds (for the event stream). */
async function sessionHolds() {
  try {
    const status = await api("/auth/status", { on401: "throw" });
    if (status.logged_in) return true;
  } catch {
    return true; // the node is unreachable: keep trying to reconnect
  }
  await refreshAuth();
  return false;
}

function App() {
  const a = useValue(auth);
  const r = useValue(route);
  const url = new URL(r, location.origin);
  const path = url.pathname.replace(/\/+$/, "") || "/";

  useEffect(() => {
    if (!a.logged_in) {
      events.stop();
      return;
    }
    events.start({ checkSession: sessionHolds });
    loadPeers();
    loadRecent().catch(() => {});
  }, [a.logged_in]);

  if (a.loading) return html`<${Loading} label="Loading Canopy…" />`;
  if (a.error) {
    return html`
      <main class="centered">
        <${ErrorBox} error=${a.error} onRetry=${refreshAuth} />
      </main>
    `;
  }
  if (a.needs_setup) {
    return path === "/setup"
      ? html`<${SetupPage} />`
      : html`<${Redirect} to=${`/setup${url.search}`} />`;
  }
  if (!a.logged_in) {
    if (path === "/login") return html`<${LoginPage} />`;
    const next = path === "/" || path === "/setup"
      ? ""
      : `?next=${encodeURIComponent(path + url.search)}`;
    return html`<${Redirect} to=${`/login${next}`} />`;
  }
  if (path === "/" || path === "/login" || path === "/setup") {
    return html`<${Redirect} to="/connect" />`;
  }
  const Page = PAGES[path] ?? NotFoundPage;
  return html`
    <${Layout} path=${path}>
      <${Page} key=${path} />
      <//>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
refreshAuth();
