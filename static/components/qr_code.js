/**
 * A QR code of a text (the invite code), drawn as one SVG path from the
 * vendored qrcode-generator's module matrix. No inline styles, no canvas.
 * @module
 */
import { html, useMemo } from "../lib/html.js";
import qrcode from "../vendor/qrcode.mjs";

/** Quiet zone around the code, in modules (the standard asks for 4). */
export const QUIET_ZONE = 4;

/**
 * The dark modules of `text` as an SVG path, and the matrix size.
 * @param {string} text
 * @returns {{ size: number, path: string }}
 */
export function qrPath(text) {
  const qr = qrcode(0, "M"); // 0: the smallest version that fits
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  let path = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) path += `M${c + QUIET_ZONE} ${r + QUIET_ZONE}h1v1h-1z`;
    }
  }
  return { size: n + 2 * QUIET_ZONE, path };
}

/**
 * @param {{ text: string, label?: string }} props
 */
export function QrCode({ text, label = "QR code" }) {
  const qr = useMemo(() => {
    try {
      return qrPath(text);
    } catch {
      return null; // too long for a QR code: the text is still there to copy
    }
  }, [text]);
  if (!qr) return html`<p class="hint">This invite code is too long for a QR code.</p>`;
  return html`
    <svg class="qr" viewBox=${`0 0 ${qr.size} ${qr.size}`} role="img" aria-label=${label}
      shape-rendering="crispEdges" data-testid="invite-qr">
      <rect width=${qr.size} height=${qr.size} fill="#fff" />
      <path d=${qr.path} fill="#000" />
    </svg>
  `;
}
