import assert from "node:assert/strict";
import { decodeTxt, encodeTxt, type ServiceTxt } from "./txt.ts";
import { toBase58 } from "../util/base58.ts";

const key = (b: number) => new Uint8Array(32).fill(b);
const TXT: ServiceTxt = {
  peerId: "7Hx2kQ9aBcDeFgHj",
  ed25519PublicKey: key(1),
  x25519PublicKey: key(2),
  protocolVersion: 1,
  meshPort: 7771,
};

Deno.test("TXT: our keys round-trip and are what PROTOCOL §11 lists", () => {
  const strings = encodeTxt(TXT);
  assert.deepEqual(strings.map((s) => s.split("=")[0]), ["pid", "epk", "xpk", "v", "mp"]);
  assert.deepEqual(decodeTxt(strings), TXT);
  // As dns-packet hands them over: byte strings.
  assert.deepEqual(decodeTxt(strings.map((s) => new TextEncoder().encode(s))), TXT);
});

Deno.test("TXT: keys are case-insensitive, the first occurrence wins, unknown keys are ignored", () => {
  const strings = encodeTxt(TXT);
  const got = decodeTxt([
    "PID=" + TXT.peerId,
    "pid=1111111111111111",
    "flag",
    "name=whatever",
    ...strings.slice(1),
  ]);
  assert.equal(typeof got, "object");
  assert.equal((got as ServiceTxt).peerId, TXT.peerId);
});

Deno.test("TXT: every malformed field gives its own reason, never a throw", () => {
  const base = encodeTxt(TXT);
  const replace = (k: string, v: string | null) =>
    base.filter((s) => !s.startsWith(`${k}=`)).concat(v === null ? [] : [`${k}=${v}`]);
  const cases: [unknown, string][] = [
    [replace("pid", null), "txt_bad_pid"],
    [replace("pid", "short"), "txt_bad_pid"],
    [replace("epk", "0OIl"), "txt_bad_epk"],
    [replace("epk", toBase58(new Uint8Array(31).fill(1))), "txt_bad_epk"],
    [replace("xpk", null), "txt_bad_xpk"],
    [replace("v", "one"), "txt_bad_v"],
    [replace("v", "0"), "txt_bad_v"],
    [replace("mp", "70000"), "txt_bad_mp"],
    [replace("mp", "-1"), "txt_bad_mp"],
    [[new Uint8Array([0xff, 0xfe])], "txt_not_utf8"],
    [[42], "txt_bad_type"],
    [Array.from({ length: 40 }, () => "x=y"), "txt_too_many_entries"],
    [["x=" + "a".repeat(2000)], "txt_too_long"],
    [null, "txt_bad_type"],
  ];
  for (const [data, reason] of cases) assert.equal(decodeTxt(data), reason, JSON.stringify(data));
});

Deno.test("TXT: keys that do not match the peer id still decode (the handshake refuses them)", () => {
  const got = decodeTxt(encodeTxt({ ...TXT, ed25519PublicKey: key(9) }));
  assert.equal((got as ServiceTxt).peerId, TXT.peerId);
});
