import assert from "node:assert/strict";
import {
  type Advertisement,
  advertRecords,
  answerQuery,
  instanceLabel,
  MAX_RECORDS_PER_PACKET,
  type MdnsRecord,
  SERVICE_ENUMERATION,
  SERVICE_TYPE,
  serviceRecordsOf,
  unicastSafe,
} from "./records.ts";
import { unencodable } from "./packet.ts";
import type { ServiceTxt } from "./txt.ts";

const key = (b: number) => new Uint8Array(32).fill(b);
const TXT: ServiceTxt = {
  peerId: "7Hx2kQ9aBcDeFgHj",
  ed25519PublicKey: key(1),
  x25519PublicKey: key(2),
  protocolVersion: 1,
  meshPort: 7771,
};
const AD: Advertisement = {
  instance: "laptop-7Hx2kQ",
  host: "canopy-7Hx2kQ9aBcDeFgHj",
  port: 7771,
  txt: TXT,
  addresses: ["10.78.1.2", "fd00::2"],
};

Deno.test("instance names: DNS-safe device name plus a peer id prefix", () => {
  assert.equal(instanceLabel("laptop", "7Hx2kQ9aBcDeFgHj"), "laptop-7Hx2kQ");
  assert.equal(instanceLabel("my.host.example", "7Hx2kQ9aBcDeFgHj"), "my-7Hx2kQ");
  assert.equal(instanceLabel("Zoë's  Mac_Book", "7Hx2kQ9aBcDeFgHj"), "Zo-s-Mac-Book-7Hx2kQ");
  assert.equal(instanceLabel("", "7Hx2kQ9aBcDeFgHj"), "canopy-7Hx2kQ");
  assert.equal(instanceLabel("---", "7Hx2kQ9aBcDeFgHj"), "canopy-7Hx2kQ");
  const long = instanceLabel("x".repeat(200), "7Hx2kQ9aBcDeFgHj");
  assert.ok(long.length <= 63, long);
  assert.ok(long.endsWith("-7Hx2kQ"));
});

Deno.test("our records encode, and a goodbye is the same records with TTL 0", () => {
  const live = advertRecords(AD, 120);
  assert.equal(unencodable({ type: "response", ...live }), null);
  assert.deepEqual(live.answers, [{
    name: SERVICE_TYPE,
    type: "PTR",
    ttl: 120,
    data: `laptop-7Hx2kQ.${SERVICE_TYPE}`,
  }]);
  assert.deepEqual(live.additionals.map((r) => r.type), ["SRV", "TXT", "A", "AAAA"]);
  assert.ok(live.additionals.every((r) => r.flush === true));
  const bye = advertRecords(AD, 0);
  assert.ok([...bye.answers, ...bye.additionals].every((r) => r.ttl === 0));
  const legacy = unicastSafe(live.additionals[0]);
  assert.equal(legacy.ttl, 10);
  assert.equal(legacy.flush, false);
});

Deno.test("unencodable: packets dns-packet would choke on are caught before sending", () => {
  const srv = advertRecords(AD, 120).additionals[0];
  const bad: [MdnsRecord, RegExp][] = [
    [{ ...srv, name: `${"x".repeat(64)}.local` }, /name/],
    [{ ...srv, data: { port: 70000, target: "a.local" } }, /SRV/],
    [{ name: "a.local", type: "TXT", data: ["x".repeat(256)] }, /TXT/],
    [{ name: "a.local", type: "A", data: "10.0.0.300" }, /A data/],
    [{ name: "a.local", type: "AAAA", data: "fe80::1%eth0" }, /AAAA/],
    [{ name: "a.local", type: "PTR", ttl: -1, data: "b.local" }, /ttl/],
    [{ name: "a.local", type: "MX", data: "b.local" }, /type/],
  ];
  for (const [r, why] of bad) {
    assert.match(unencodable({ type: "response", answers: [r] }) ?? "", why, JSON.stringify(r));
  }
});

Deno.test("answers: a browse gets PTR plus SRV, TXT and addresses; ANY works too", () => {
  for (const type of ["PTR", "ANY"]) {
    const got = answerQuery({ type: "query", questions: [{ name: SERVICE_TYPE, type }] }, AD, 120);
    assert.ok(got);
    assert.deepEqual(got.answers.map((r) => r.type), ["PTR"]);
    assert.deepEqual(got.additionals.map((r) => r.type), ["SRV", "TXT", "A", "AAAA"]);
  }
  // Names compare case-insensitively, with or without the trailing dot.
  assert.ok(
    answerQuery({ questions: [{ name: "_CANOPY._tcp.local.", type: "PTR" }] }, AD, 120),
  );
});

Deno.test("answers: instance SRV/TXT, host A/AAAA, service enumeration; others → null", () => {
  const instance = `laptop-7hx2kq.${SERVICE_TYPE}`;
  const srv = answerQuery({ questions: [{ name: instance, type: "SRV" }] }, AD, 120)!;
  assert.deepEqual(srv.answers.map((r) => r.type), ["SRV"]);
  assert.deepEqual(srv.additionals.map((r) => r.type), ["A", "AAAA"]);
  const txt = answerQuery({ questions: [{ name: instance, type: "TXT" }] }, AD, 120)!;
  assert.deepEqual(txt.answers.map((r) => r.type), ["TXT"]);
  const a = answerQuery(
    { questions: [{ name: "canopy-7Hx2kQ9aBcDeFgHj.local", type: "A" }] },
    AD,
    120,
  )!;
  assert.deepEqual(a.answers.map((r) => r.data), ["10.78.1.2"]);
  const en = answerQuery({ questions: [{ name: SERVICE_ENUMERATION, type: "PTR" }] }, AD, 120)!;
  assert.deepEqual(en.answers[0].data, SERVICE_TYPE);
  assert.equal(
    answerQuery({ questions: [{ name: "_http._tcp.local", type: "PTR" }] }, AD, 120),
    null,
  );
  assert.equal(answerQuery({}, AD, 120), null);
});

Deno.test("answers: known-answer suppression when the querier holds our PTR with ≥ half its TTL", () => {
  const q = (ttl: number) => ({
    questions: [{ name: SERVICE_TYPE, type: "PTR" }],
    answers: [{ name: SERVICE_TYPE, type: "PTR", ttl, data: `laptop-7Hx2kQ.${SERVICE_TYPE}` }],
  });
  assert.equal(answerQuery(q(100), AD, 120), null);
  assert.ok(answerQuery(q(30), AD, 120));
});

Deno.test("responses: our service's records are decoded, the rest skipped, broken ones counted", () => {
  const live = advertRecords(AD, 120);
  const { records, malformed } = serviceRecordsOf({
    type: "response",
    answers: [
      ...live.answers,
      { name: "_http._tcp.local", type: "PTR", ttl: 120, data: "web._http._tcp.local" },
      { name: SERVICE_TYPE, type: "PTR", ttl: 120, data: "not-our-service.local" },
      { name: `x.${SERVICE_TYPE}`, type: "SRV", ttl: 120, data: { port: 0, target: "x.local" } },
      { name: `y.${SERVICE_TYPE}`, type: "TXT", ttl: 120, data: ["pid=nope"] },
      { name: "h.local", type: "A", ttl: 120, data: "999.1.1.1" },
      { name: `z.${SERVICE_TYPE}`, type: "SRV", ttl: 1.5, data: { port: 1, target: "z.local" } },
      null as unknown as MdnsRecord,
    ],
    additionals: live.additionals,
  });
  assert.deepEqual(records.map((r) => r.kind), ["ptr", "srv", "txt", "addr", "addr"]);
  assert.deepEqual(malformed.sort(), [
    "bad_address",
    "bad_ptr",
    "bad_srv",
    "bad_srv",
    "txt_bad_pid",
  ]);
  const ptr = records[0];
  assert.equal(ptr.kind === "ptr" && ptr.label, "laptop-7Hx2kQ");
  assert.equal(ptr.kind === "ptr" && ptr.instance, `laptop-7hx2kq.${SERVICE_TYPE}`);
});

Deno.test("responses: oversized packets are read up to the cap and counted", () => {
  const many = Array.from({ length: MAX_RECORDS_PER_PACKET + 10 }, (_, i) => ({
    name: SERVICE_TYPE,
    type: "PTR",
    ttl: 120,
    data: `n${i}.${SERVICE_TYPE}`,
  }));
  const { records, malformed } = serviceRecordsOf({ answers: many });
  assert.equal(records.length, MAX_RECORDS_PER_PACKET);
  assert.deepEqual(malformed, ["too_many_records"]);
});

Deno.test("responses: TTLs over the cap are cut; a goodbye keeps TTL 0", () => {
  const { records } = serviceRecordsOf({
    answers: [
      { name: SERVICE_TYPE, type: "PTR", ttl: 999_999, data: `a.${SERVICE_TYPE}` },
      { name: SERVICE_TYPE, type: "PTR", ttl: 0, data: `b.${SERVICE_TYPE}` },
    ],
  });
  assert.deepEqual(records.map((r) => r.ttl), [4500, 0]);
});
