/**
 * Avatars made in the browser: the chosen picture is cropped to a centred
 * square, scaled to a small thumbnail on a canvas and encoded as a WebP
 * (or JPEG, where the browser cannot write WebP) `data:` URL under the
 * node's 64 KiB limit (SPEC §6). The original file never leaves the page.
 * @module
 */

/** Side of the thumbnail (px). */
export const AVATAR_SIZE = 128;
/** Largest avatar the node accepts (bytes of the image, not of the data URL). */
export const MAX_AVATAR_BYTES = 64 * 1024;
/** Largest picture we try to read (bytes); bigger files are refused before decoding. */
export const MAX_SOURCE_BYTES = 25 * 1024 * 1024;
/** What the file picker offers. */
export const ACCEPT = "image/png,image/jpeg,image/webp,image/gif";

/** Encodings tried in order, each from the best quality down. */
const ENCODINGS = [
  { type: "image/webp", qualities: [0.9, 0.8, 0.65, 0.5] },
  { type: "image/jpeg", qualities: [0.9, 0.8, 0.65, 0.5, 0.35] },
];

/**
 * Bytes of the image inside a base64 `data:` URL.
 * @param {string} url
 */
export function dataUrlBytes(url) {
  const b64 = url.slice(url.indexOf(",") + 1);
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/**
 * Draws the centred square of `image` scaled to `size`, on `background`
 * (JPEG has no transparency: without one, transparent parts turn black).
 * @param {ImageBitmap} image
 * @param {number} size
 * @param {string | null} background
 */
function draw(image, size, background) {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("This browser cannot draw images.");
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, size, size);
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const side = Math.min(image.width, image.height);
  const sx = (image.width - side) / 2;
  const sy = (image.height - side) / 2;
  ctx.drawImage(image, sx, sy, side, side, 0, 0, size, size);
  return canvas;
}

/**
 * Shrinks `image` by halves until it is at most twice `size`: one big
 * step down skips pixels and looks jagged, halving keeps it smooth.
 * @param {ImageBitmap} image
 * @param {number} size
 */
async function halve(image, size) {
  let current = image;
  while (Math.min(current.width, current.height) > 2 * size) {
    let next;
    try {
      next = await createImageBitmap(current, {
        resizeWidth: Math.ceil(current.width / 2),
        resizeHeight: Math.ceil(current.height / 2),
        resizeQuality: "high",
      });
    } catch {
      return current; // no resizing options in this browser: the canvas scales in one step
    }
    if (current !== image) current.close();
    current = next;
  }
  return current;
}

/**
 * Turns a picture the user chose into an avatar `data:` URL.
 * @param {Blob} file
 * @param {{ size?: number, maxBytes?: number }} [options]
 * @returns {Promise<string>}
 */
export async function avatarFromFile(
  file,
  { size = AVATAR_SIZE, maxBytes = MAX_AVATAR_BYTES } = {},
) {
  if (file.type && !file.type.startsWith("image/")) {
    throw new Error("Choose a picture (PNG, JPEG, WebP or GIF).");
  }
  if (file.size > MAX_SOURCE_BYTES) {
    throw new Error(
      `This picture is over ${MAX_SOURCE_BYTES / 1024 / 1024} MB; choose a smaller one.`,
    );
  }
  let original;
  try {
    original = await createImageBitmap(file);
  } catch {
    throw new Error("This file could not be read as a picture.");
  }
  let source = original;
  try {
    source = await halve(original, size);
    for (const { type, qualities } of ENCODINGS) {
      const canvas = draw(source, size, type === "image/jpeg" ? "#ffffff" : null);
      for (const quality of qualities) {
        const url = canvas.toDataURL(type, quality);
        if (!url.startsWith(`data:${type};`)) break; // this browser cannot write the type
        if (dataUrlBytes(url) <= maxBytes) return url;
      }
    }
  } finally {
    if (source !== original) source.close();
    original.close();
  }
  throw new Error("This picture could not be made small enough; try another one.");
}
