/**
 * Line icons drawn as SVG paths (no icon font, no emoji: both may be
 * missing on the viewer's system). They inherit the text color.
 * @module
 */
import { html } from "../lib/html.js";

/** Path data per icon name, on a 24×24 grid. */
export const ICONS = {
  connect: "M4 8h15m-4-4 4 4-4 4M20 16H5m4-4-4 4 4 4",
  messages: "M4 5h16v11H9l-5 4z",
  channels: "M10 4 8 20m8-16-2 16M4 9h16M4 15h16",
  settings: "M4 7h10m4 0h2M4 17h2m4 0h10M14 4v6m-4 4v6",
  keys: "M14 10a4 4 0 1 0-3 3.9V20h3v-2h2v-2h-2v-2.1A4 4 0 0 0 14 10zM10 10h.01",
  broadcast:
    "M12 12h.01M8.5 8.5a5 5 0 0 0 0 7m7 0a5 5 0 0 0 0-7M5.6 5.6a9 9 0 0 0 0 12.8m12.8 0a9 9 0 0 0 0-12.8",
};

/**
 * @param {{ name: keyof typeof ICONS, size?: number }} props
 */
export function Icon({ name, size = 20 }) {
  return html`
    <svg class="icon" viewBox="0 0 24 24" width=${size} height=${size} aria-hidden="true"
      fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      <path d=${ICONS[name]} />
    </svg>
  `;
}
