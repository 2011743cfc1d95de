/**
 * Channels: a placeholder until the channel API lands (phase 2 lists
 * channels with their originating device, creates, posts, and follows
 * channel events here).
 * @module
 */
import { html } from "../lib/html.js";
import { PageHeader, Section, Soon } from "../components/ui.js";

export function ChannelsPage() {
  return html`
    <div class="page page-channels">
      <${PageHeader} title="Channels" />
      <${Section} title="Channels" id="channels">
        <${Soon}
          title="Channels">Named group conversations shared across the mesh, each showing the device it started on.<//>
        <//>
      </div>
  `;
}
