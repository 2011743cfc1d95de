import assert from "node:assert/strict";
import { advertisedEndpoints, isLoopback, wsUrl } from "./endpoints.ts";

const IFACES = [
  { family: "IPv4" as const, address: "127.0.0.1" },
  { family: "IPv6" as const, address: "::1" },
  { family: "IPv4" as const, address: "192.168.1.10" },
  { family: "IPv6" as const, address: "fe80::1" },
  { family: "IPv6" as const, address: "2001:db8::5" },
  { family: "IPv4" as const, address: "10.0.0.2" },
];

Deno.test("wildcard listener: one endpoint per non-loopback IPv4 address", () => {
  assert.deepEqual(
    advertisedEndpoints({ meshHost: "0.0.0.0", meshPort: 7771, interfaces: IFACES }),
    ["ws://192.168.1.10:7771", "ws://10.0.0.2:7771"],
  );
  assert.deepEqual(
    advertisedEndpoints({ meshHost: "::", meshPort: 7771, interfaces: IFACES }),
    ["ws://192.168.1.10:7771", "ws://10.0.0.2:7771", "ws://[2001:db8::5]:7771"],
  );
});

Deno.test("public host and port go first; defaults to the mesh port", () => {
  const eps = advertisedEndpoints({
    meshHost: "0.0.0.0",
    meshPort: 7771,
    publicHost: "198.51.100.1",
    publicPort: 9000,
    interfaces: IFACES,
  });
  assert.equal(eps[0], "ws://198.51.100.1:9000");
  assert.equal(
    advertisedEndpoints({
      meshHost: "0.0.0.0",
      meshPort: 7771,
      publicHost: "h.example",
      interfaces: [],
    })[0],
    "ws://h.example:7771",
  );
});

Deno.test("loopback only when bound there or nothing else exists", () => {
  assert.deepEqual(
    advertisedEndpoints({ meshHost: "127.0.0.1", meshPort: 1, interfaces: IFACES }),
    ["ws://127.0.0.1:1"],
  );
  assert.deepEqual(
    advertisedEndpoints({ meshHost: "0.0.0.0", meshPort: 2, interfaces: IFACES.slice(0, 2) }),
    ["ws://127.0.0.1:2"],
  );
  assert.ok(isLoopback("127.8.0.1") && isLoopback("::1") && !isLoopback("10.0.0.1"));
  assert.equal(wsUrl("::1", 5), "ws://[::1]:5");
});
