/**
 * Any other path.
 * @module
 */
import { html } from "../lib/html.js";
import { Empty, PageHeader } from "../components/ui.js";

export function NotFoundPage() {
  return html`
    <div class="page">
      <${PageHeader} title="Page not found" />
      <${Empty}
        title="There is no page here">Go to <a href="/connect">Connect</a> or <a href="/messages">Messages</a>.<//>
      </div>
  `;
}
