/**
 * The multicast-dns adapter over a real UDP socket — on loopback, unicast,
 * on a random high port: tests never multicast on the host (the LAN test
 * does that inside network namespaces).
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { multicastDns } from "./mdns.ts";
import type { MdnsHandlers, RemoteInfo } from "./ports.ts";
import { advertRecords, type MdnsPacket, SERVICE_TYPE } from "./records.ts";

function randomPort(): number {
  return 40_000 + Math.floor(Math.random() * 20_000);
}

function recorder() {
  const packets: [MdnsPacket, RemoteInfo][] = [];
  const malformed: Error[] = [];
  const waiters = new Set<() => void>();
  const handlers: MdnsHandlers = {
    packet: (p, from) => {
      packets.push([p, from]);
      for (const w of waiters) w();
    },
    malformed: (e) => {
      malformed.push(e);
      for (const w of waiters) w();
    },
    warning: () => {},
    error: () => {},
    interfacesChanged: () => {},
  };
  const until = (what: string, ok: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, 5_000);
      const check = () => {
        if (!ok()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { packets, malformed, handlers, until };
}

Deno.test("mdns adapter: encodes, sends, receives and decodes our records; closes cleanly", async () => {
  const port = randomPort();
  const rec = recorder();
  const socket = await multicastDns({ port, ip: "127.0.0.1", bind: "127.0.0.1", multicast: false })
    .open(rec.handlers);
  try {
    const ad = {
      instance: "test-abcdef",
      host: "canopy-abcdefabcdefabcd",
      port: 7771,
      txt: {
        peerId: "7Hx2kQ9aBcDeFgHj",
        ed25519PublicKey: new Uint8Array(32).fill(1),
        x25519PublicKey: new Uint8Array(32).fill(2),
        protocolVersion: 1,
        meshPort: 7771,
      },
      addresses: ["10.78.1.2"],
    };
    await socket.send({ type: "response", flags: 1 << 10, ...advertRecords(ad, 120) });
    await rec.until("our own response", () => rec.packets.length > 0);
    const [packet, from] = rec.packets[0];
    assert.equal(packet.type, "response");
    assert.equal(from.address, "127.0.0.1");
    assert.equal(from.port, port);
    assert.equal(packet.answers![0].name, SERVICE_TYPE);
    const txt = packet.additionals!.find((r) => r.type === "TXT")!;
    assert.ok(Array.isArray(txt.data) && txt.data[0] instanceof Uint8Array, "TXT as bytes");
    // A packet dns-packet could not encode is refused here, not thrown on a later tick.
    await assert.rejects(
      socket.send({ type: "response", answers: [{ name: "x.local", type: "A", data: "nope" }] }),
      /unencodable/,
    );
  } finally {
    await socket.close();
    await socket.close();
  }
});

Deno.test("mdns adapter: a datagram that is not DNS is reported as malformed", async () => {
  const port = randomPort();
  const rec = recorder();
  const socket = await multicastDns({ port, ip: "127.0.0.1", bind: "127.0.0.1", multicast: false })
    .open(rec.handlers);
  const sender = dgram.createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) =>
      sender.send(new Uint8Array([1, 2, 3]), port, "127.0.0.1", (e) => e ? reject(e) : resolve())
    );
    await rec.until("a malformed report", () => rec.malformed.length > 0);
    assert.equal(rec.packets.length, 0);
  } finally {
    await new Promise<void>((resolve) => sender.close(() => resolve()));
    await socket.close();
  }
});

Deno.test("mdns adapter: a port that cannot be bound rejects open()", async () => {
  const rec = recorder();
  // 203.0.113.1 (TEST-NET-3) is not an address of this host: bind fails.
  await assert.rejects(
    multicastDns({ port: randomPort(), bind: "203.0.113.1", multicast: false }).open(rec.handlers),
  );
});
