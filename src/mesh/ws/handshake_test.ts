import assert from "node:assert/strict";
import {
  acceptKey,
  checkUpgradeRequest,
  checkUpgradeResponse,
  errorResponse,
  type ParsedHead,
  parseHead,
  randomKey,
  upgradeRequest,
  upgradeResponse,
} from "./handshake.ts";

const enc = (s: string) => new TextEncoder().encode(s);
/** Parses a head given with its CRLFCRLF, as it is on the wire. */
function head(text: string): ParsedHead | null {
  const bytes = enc(text);
  return parseHead(bytes.subarray(0, bytes.length - 4));
}

const OPTIONS = { path: "/canopy/mesh", protocol: "canopy.mesh.v1" };

Deno.test("handshake: §1.3 example — key and accept", async () => {
  assert.equal(await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert.notEqual(await acceptKey("dGhlIHNhbXBsZSBub25jZR=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert.match(randomKey(), /^[A-Za-z0-9+/]{21}[AQgw]==$/);
  assert.notEqual(randomKey(), randomKey());
});

Deno.test("handshake: parseHead — case-insensitive names, joined duplicates, strict lines", () => {
  const h = head("GET / HTTP/1.1\r\nX-A: 1\r\nx-a:  2 \r\nHost: h\r\n\r\n")!;
  assert.equal(h.startLine, "GET / HTTP/1.1");
  assert.equal(h.headers.get("X-A"), "1, 2");
  assert.equal(head("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")?.startLine, "GET / HTTP/1.1");
  for (
    const bad of [
      "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: 1\rX-B: 2\r\n\r\n",
      "GET / HTTP/1.1\nX-A: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
      "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n",
    ]
  ) assert.equal(head(bad), null, JSON.stringify(bad));
});

Deno.test("handshake: our request passes the server's check, and each tampered field fails it", () => {
  const key = randomKey();
  const good = new TextDecoder().decode(
    upgradeRequest({ path: "/canopy/mesh?v=1", host: "h:7771", key, protocol: "canopy.mesh.v1" }),
  );
  const ok = checkUpgradeRequest(head(good)!, OPTIONS);
  assert.deepEqual(ok, { ok: true, path: "/canopy/mesh", key, protocol: "canopy.mesh.v1" });
  assert.equal(
    (checkUpgradeRequest(head(good)!, { path: "/canopy/mesh" }) as { protocol: null }).protocol,
    null,
  );
  const tampered: [string, string, number][] = [
    ["GET /canopy/mesh?v=1", "GET /other", 404],
    ["GET /canopy/mesh?v=1", "PUT /canopy/mesh", 405],
    ["HTTP/1.1\r\n", "HTTP/1.0\r\n", 400],
    ["Upgrade: websocket", "Upgrade: h2c", 426],
    ["Connection: Upgrade", "Connection: keep-alive", 426],
    ["Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 426],
    [key, key.slice(1), 400],
    ["Host: h:7771", "Host:", 400],
  ];
  for (const [from, to, status] of tampered) {
    const r = checkUpgradeRequest(head(good.replace(from, to))!, OPTIONS);
    assert.equal(r.ok ? 101 : r.status, status, `${from} → ${to}`);
  }
  const mixedCase = good.replace("Upgrade: websocket", "upgrade: WebSocket")
    .replace("Connection: Upgrade", "connection: keep-alive, UPGRADE");
  assert.equal(checkUpgradeRequest(head(mixedCase)!, OPTIONS).ok, true);
});

Deno.test("handshake: our 101 passes the client's check, and each tampered field fails it", async () => {
  const key = randomKey();
  const accept = await acceptKey(key);
  const good = new TextDecoder().decode(upgradeResponse(accept, "canopy.mesh.v1"));
  const expected = { accept, protocol: "canopy.mesh.v1" };
  assert.deepEqual(checkUpgradeResponse(head(good)!, expected), { ok: true });
  const tampered: [string, string, string][] = [
    ["101 Switching Protocols", "200 OK", "not_websocket"],
    ["Upgrade: websocket", "Upgrade: h2c", "handshake_failed"],
    ["Connection: Upgrade", "Connection: close", "handshake_failed"],
    [accept, accept.replace(/^./, accept[0] === "A" ? "B" : "A"), "handshake_failed"],
    ["Sec-WebSocket-Protocol: canopy.mesh.v1", "Sec-WebSocket-Protocol: chat", "handshake_failed"],
    ["Sec-WebSocket-Protocol: canopy.mesh.v1", "X-None: 1", "handshake_failed"],
    [
      "Connection: Upgrade",
      "Connection: Upgrade\r\nSec-WebSocket-Extensions: x",
      "handshake_failed",
    ],
  ];
  for (const [from, to, code] of tampered) {
    const r = checkUpgradeResponse(head(good.replace(from, to))!, expected);
    assert.equal(r.ok ? "ok" : r.code, code, `${from} → ${to}`);
  }
  const r404 = checkUpgradeResponse(head("HTTP/1.1 404 Not Found\r\n\r\n")!, expected);
  assert.equal(!r404.ok && r404.message, "not a WebSocket endpoint (HTTP 404)");
  const unasked = checkUpgradeResponse(head(good)!, { accept });
  assert.equal(unasked.ok, false);
});

Deno.test("handshake: error answers are complete HTTP responses", () => {
  const text = new TextDecoder().decode(
    errorResponse(426, "upgrade please", { Upgrade: "websocket" }),
  );
  assert.match(text, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
  assert.match(text, /\r\nContent-Length: 15\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/);
  assert.match(text, /\r\nUpgrade: websocket\r\n\r\nupgrade please\n$/);
});
