/**
 * The opening handshake (RFC 6455 §4), as pure functions over HTTP/1.1 heads:
 * parse a head, check a client's upgrade request (§4.2.1) and build the
 * server's answer (§4.2.2), build a client's request (§4.1) and check the
 * server's answer. The socket loops are in `_io.ts`; deadlines and caps are
 * the server's and the client's.
 * @module
 */

/** The GUID appended to the key before hashing (§1.3, §4.2.2 item 5.4). */
export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)) (§4.2.2 item 5.4). */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + WS_GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (§4.1 item 7). */
export function randomKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** A parsed HTTP/1.1 head: its first line and its header fields. */
export interface ParsedHead {
  /** Request line or status line. */
  readonly startLine: string;
  /** Names are case-insensitive; repeated fields are joined with ", ". */
  readonly headers: Headers;
}

const latin1 = new TextDecoder("latin1");
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses a head (without its final CRLFCRLF). Strict where laxness is a
 * smuggling risk: bare CR/LF, obsolete line folding and bad field names make
 * it null (RFC 9112 §2.2, §5).
 */
export function parseHead(head: Uint8Array): ParsedHead | null {
  const lines = latin1.decode(head).split("\r\n");
  if (lines[0] === "" && lines.length > 1) lines.shift(); // one leading CRLF is tolerated
  const headers = new Headers();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (/[\r\n]/.test(line) || line[0] === " " || line[0] === "\t") return null;
    const colon = line.indexOf(":");
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return null;
    try {
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    } catch {
      return null; // a value Headers refuses (NUL and the like)
    }
  }
  if (/[\r\n]/.test(lines[0])) return null;
  return { startLine: lines[0], headers };
}

/** The comma-separated tokens of a header, trimmed and lower-cased. */
function tokens(headers: Headers, name: string): string[] {
  return (headers.get(name) ?? "").split(",").map((t) => t.trim().toLowerCase());
}

/** What the server needs from a valid upgrade request. */
export interface UpgradeRequest {
  /** The request may be upgraded. */
  readonly ok: true;
  /** The path, without the query. */
  readonly path: string;
  /** The client's Sec-WebSocket-Key. */
  readonly key: string;
  /** The subprotocol to confirm, or null. */
  readonly protocol: string | null;
}

/** Why a request is refused, as the plain HTTP answer to give. */
export interface RefusedRequest {
  /** The request is refused. */
  readonly ok: false;
  /** HTTP status of the answer. */
  readonly status: number;
  /** Plain-text body of the answer. */
  readonly message: string;
  /** Extra header fields of the answer. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Checks a client's opening handshake (§4.2.1): `GET <path> HTTP/1.1`, Host,
 * `Upgrade: websocket`, Connection containing `upgrade`, a 16-byte base64
 * key and version 13. Offers no extension; confirms `protocol` when offered.
 */
export function checkUpgradeRequest(
  head: ParsedHead,
  options: { path: string; protocol?: string },
): UpgradeRequest | RefusedRequest {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/.exec(head.startLine);
  if (!m) return refuse(400, "malformed request line");
  const [, method, target, version] = m;
  if (version !== "1.1") return refuse(400, "HTTP/1.1 required");
  if (method !== "GET") return refuse(405, "only GET", { Allow: "GET" });
  if (!target.startsWith("/")) return refuse(400, "malformed request target");
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  if (path !== options.path) return refuse(404, "not found");
  const h = head.headers;
  if (!h.get("host")) return refuse(400, "missing Host");
  if (!tokens(h, "upgrade").includes("websocket") || !tokens(h, "connection").includes("upgrade")) {
    return refuse(426, "this is a Canopy mesh port: WebSocket upgrade required", {
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
    });
  }
  if (h.get("sec-websocket-version") !== "13") {
    return refuse(426, "WebSocket version 13 required", { "Sec-WebSocket-Version": "13" });
  }
  const key = h.get("sec-websocket-key") ?? "";
  if (!/^[A-Za-z0-9+/]{21}[AQgw]==$/.test(key)) return refuse(400, "bad Sec-WebSocket-Key");
  const offered = (h.get("sec-websocket-protocol") ?? "").split(",").map((t) => t.trim());
  const protocol = options.protocol !== undefined && offered.includes(options.protocol)
    ? options.protocol
    : null;
  return { ok: true, path, key, protocol };
}

function refuse(
  status: number,
  message: string,
  headers?: Record<string, string>,
): RefusedRequest {
  return { ok: false, status, message, headers };
}

const encoder = new TextEncoder();
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** The server's `101 Switching Protocols` answer (§4.2.2 item 5). */
export function upgradeResponse(accept: string, protocol: string | null): Uint8Array {
  const lines = [
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${accept}`,
  ];
  if (protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n");
}

/** A small plain-text HTTP answer that closes the connection. */
export function errorResponse(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Uint8Array {
  const body = encoder.encode(message + "\n");
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}`,
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${body.length}`,
    "Connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n");
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The client's opening handshake (§4.1 items 1–9); no extensions are offered. */
export function upgradeRequest(
  options: { path: string; host: string; key: string; protocol?: string },
): Uint8Array {
  const lines = [
    `GET ${options.path} HTTP/1.1`,
    `Host: ${options.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${options.key}`,
    "Sec-WebSocket-Version: 13",
  ];
  if (options.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${options.protocol}`);
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n");
}

/** Why a server's answer is refused; `code` is a {@link WsErrorCode}. */
export interface RefusedResponse {
  /** The answer is refused. */
  readonly ok: false;
  /** The `WsErrorCode` to reject the dial with. */
  readonly code: "not_websocket" | "handshake_failed";
  /** A sentence for people. */
  readonly message: string;
}

/**
 * Checks the server's answer (§4.1, "the client MUST validate"): status 101,
 * `Upgrade: websocket`, `Connection: upgrade`, the expected accept value, no
 * extension, and exactly the subprotocol asked for (or none if none was).
 */
export function checkUpgradeResponse(
  head: ParsedHead,
  expected: { accept: string; protocol?: string },
): { ok: true } | RefusedResponse {
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(head.startLine);
  if (!m) return { ok: false, code: "handshake_failed", message: "malformed HTTP response" };
  const status = Number(m[1]);
  if (status !== 101) {
    return {
      ok: false,
      code: "not_websocket",
      message: `not a WebSocket endpoint (HTTP ${status})`,
    };
  }
  const h = head.headers;
  const fail = (message: string): RefusedResponse => ({
    ok: false,
    code: "handshake_failed",
    message,
  });
  if (!tokens(h, "upgrade").includes("websocket") || !tokens(h, "connection").includes("upgrade")) {
    return fail("server did not switch to WebSocket");
  }
  if (h.get("sec-websocket-accept") !== expected.accept) {
    return fail("server sent a wrong Sec-WebSocket-Accept");
  }
  if (h.get("sec-websocket-extensions")) return fail("server chose an extension we did not offer");
  const protocol = h.get("sec-websocket-protocol");
  if (protocol !== null && protocol !== expected.protocol) {
    return fail("server chose a subprotocol we did not offer");
  }
  if (expected.protocol !== undefined && protocol === null) {
    return fail(`server does not speak subprotocol "${expected.protocol}"`);
  }
  return { ok: true };
}
