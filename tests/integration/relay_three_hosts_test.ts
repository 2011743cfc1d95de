/**
 * Broker and relay across three hosts (SPEC §6) in network namespaces:
 * A reaches B and C; B and C have no route to each other. The test talks to
 * each node's HTTP API (on 127.0.0.1 inside its namespace) through an agent
 * process running there, so the test's own namespace gains no interfaces.
 */
import assert from "node:assert/strict";
import { Netns, netnsAvailable } from "../_harness/netns.ts";
import { netnsServeArgs, startNode, type TestNode, waitFor } from "../_harness/cluster.ts";
import type { ApiResponse } from "../_harness/http.ts";
import { nsHttp } from "../_harness/ns_http.ts";
import { cleanup } from "../_harness/spawn_node.ts";

/** Each lab node's namespace. */
const nsOf = new Map<TestNode, string>();

/** The node's API, called from inside its namespace. */
function api<T = Record<string, unknown>>(
  node: TestNode,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  return nsHttp(nsOf.get(node)!).call<T>(`${node.apiUrl}${path}`, { key: node.key, body });
}

async function importInvite(on: TestNode, from: TestNode): Promise<Record<string, unknown>> {
  const invite = await api<{ invite_code: string }>(from, "/p2p/invite");
  const res = await api(on, "/p2p/invite/import", { invite_code: invite.json.invite_code });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

const decoder = new TextDecoder();
let subnet = 10 + Math.floor(Math.random() * 200);

interface Lab {
  net: Netns;
  a: TestNode;
  b: TestNode;
  c: TestNode;
  ns: { a: string; b: string; c: string };
}

async function node(ns: string, meshHost: string, policy: string): Promise<TestNode> {
  const n = await startNode({
    netns: ns,
    args: netnsServeArgs({ meshHost }, "--relay-policy", policy),
  });
  nsOf.set(n, ns);
  return n;
}

async function lab(policyA: string): Promise<Lab> {
  const net = new Netns();
  const ns = { a: await net.host("a"), b: await net.host("b"), c: await net.host("c") };
  const x = subnet++;
  const y = subnet++;
  await net.link(ns.a, `10.79.${x}.1/24`, ns.b, `10.79.${x}.2/24`);
  await net.link(ns.a, `10.79.${y}.1/24`, ns.c, `10.79.${y}.2/24`);
  const a = await node(ns.a, "0.0.0.0", policyA);
  const b = await node(ns.b, `10.79.${x}.2`, "broker_only");
  const c = await node(ns.c, `10.79.${y}.2`, "broker_only");
  // The guide's flow, both ways, between A and each of B and C.
  for (const [one, other] of [[b, a], [a, b], [c, a], [a, c]]) {
    assert.equal((await importInvite(one, other)).status, "connected");
  }
  return { net, a, b, c, ns };
}

async function close(l: Lab | undefined) {
  if (!l) return;
  for (const n of [l.a, l.b, l.c]) nsOf.delete(n);
  await cleanup([l.a, l.b, l.c]);
  await l.net.close();
}

async function introduced(on: TestNode, peerId: string) {
  return await waitFor(`${peerId} introduced`, async () => {
    const list = (await api<{ introduced: { peer_id: string; introduced_by: string }[] }>(
      on,
      "/p2p/introduced",
    )).json
      .introduced;
    return list.find((p) => p.peer_id === peerId);
  });
}

async function scanMemory(pid: number, needles: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command("python3", {
    args: [new URL("../_harness/memscan.py", import.meta.url).pathname, String(pid), ...needles],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout));
}

async function filesHold(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const want = new TextEncoder().encode(needle);
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        const bytes = await Deno.readFile(p);
        outer: for (let i = 0; i + want.length <= bytes.length; i++) {
          for (let j = 0; j < want.length; j++) if (bytes[i + j] !== want[j]) continue outer;
          hits.push(p);
          break;
        }
      }
    }
  };
  await walk(dir);
  return hits;
}

const ok = await netnsAvailable();

Deno.test({
  name: "full_relay: B reaches C through A, sealed; a direct route replaces the relay",
  ignore: !ok,
  async fn() {
    let l: Lab | undefined;
    try {
      l = await lab("full_relay");
      const { a, b, c } = l;
      assert.equal((await introduced(c, b.peerId)).introduced_by, a.peerId);
      assert.equal((await introduced(b, c.peerId)).introduced_by, a.peerId);

      const res = await api(b, "/p2p/connect_introduced", { peer_id: c.peerId });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.status, "relayed", res.text);
      assert.equal(res.json.via, a.peerId);
      const steps = res.json.steps as { step: string; ok: boolean }[];
      assert.deepEqual(steps.map((s) => [s.step, s.ok]), [["direct", false], ["broker", false], [
        "relay",
        true,
      ]]);

      const status = await api(b, "/p2p/relay_status");
      assert.deepEqual(status.json, {
        relay_policy: "broker_only",
        active_relays: { [c.peerId]: a.peerId },
        routing_table: { [c.peerId]: a.peerId },
      });
      await waitFor(
        "C routes to B through A",
        async () =>
          (await api<{ routing_table: Record<string, string> }>(c, "/p2p/relay_status")).json
            .routing_table[b.peerId] ===
            a.peerId,
      );
      const viewB = await api<{ peers: { peer_id: string; route: string; via: string }[] }>(
        b,
        "/p2p/peers",
      );
      const cOnB = viewB.json.peers.find((p) => p.peer_id === c.peerId);
      assert.equal(cOnB?.route, "relay");
      assert.equal(cOnB?.via, a.peerId);

      // Messages both ways, direct and broadcast.
      const secretBC = `secret-bc-${crypto.randomUUID()}`;
      const secretCB = `secret-cb-${crypto.randomUUID()}`;
      const m1 = await api(b, "/p2p/send", { content: secretBC, peer_id: c.peerId });
      const m2 = await api(c, "/p2p/send", { content: secretCB, peer_id: b.peerId });
      for (
        const [node, id, other] of [[c, m1.json.message_id, b], [b, m2.json.message_id, c]] as const
      ) {
        await waitFor(
          "relayed direct message arrives",
          async () =>
            (await api<{ messages: { id: string }[] }>(node, `/messages?peer_id=${other.peerId}`))
              .json.messages.some((m) => m.id === id),
        );
      }
      for (
        const [node, id, other] of [[b, m1.json.message_id, c], [c, m2.json.message_id, b]] as const
      ) {
        await waitFor(
          "delivered through the relay",
          async () =>
            (await api<{ messages: { id: string; state: string }[] }>(
              node,
              `/messages?peer_id=${other.peerId}`,
            )).json
              .messages.some((m) => m.id === id && m.state === "delivered"),
        );
      }
      const bc = await api(b, "/p2p/send", { content: "hello everyone from B", broadcast: true });
      const cb = await api(c, "/p2p/send", { content: "hello everyone from C", broadcast: true });
      await waitFor(
        "broadcasts both ways",
        async () =>
          (await api<{ messages: { id: string }[] }>(c, "/messages?type=broadcast")).json.messages
            .some((m) => m.id === bc.json.message_id) &&
          (await api<{ messages: { id: string }[] }>(b, "/messages?type=broadcast")).json.messages
            .some((m) => m.id === cb.json.message_id),
      );

      // The relay holds none of what it relayed: not in its files, logs or memory.
      const info = await api<{ mesh: { drops: Record<string, number> } }>(a, "/info");
      assert.ok(info.json.mesh.drops.relayed >= 2, "A relayed the frames");
      for (const secret of [secretBC, secretCB]) {
        assert.deepEqual(await filesHold(a.dir, secret), [], "A's database and logs");
        assert.ok(!a.stderr().includes(secret), "A's log output");
      }
      const mem = await scanMemory(a.pid, [secretBC, secretCB]);
      assert.deepEqual(mem, { [secretBC]: 0, [secretCB]: 0 }, "A's memory");
      // The scan itself finds text that is there: B's memory holds what it sent.
      assert.ok((await scanMemory(b.pid, [secretBC]))[secretBC] > 0, "the scan works");

      // Give B and C an IP route (through A's kernel, not its Canopy): the
      // background direct attempts replace the relay.
      const ipFwd = await new Deno.Command("ip", {
        args: ["netns", "exec", l.ns.a, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
      }).output();
      assert.ok(ipFwd.success);
      const bAddr = (await api<{ endpoints: string[] }>(b, "/p2p/invite")).json.endpoints[0];
      const cAddr = (await api<{ endpoints: string[] }>(c, "/p2p/invite")).json.endpoints[0];
      const subnetOf = (ep: string) => new URL(ep).hostname.replace(/\.\d+$/, ".0/24");
      const gwOf = (ep: string) => new URL(ep).hostname.replace(/\.\d+$/, ".1");
      await l.net.exec(l.ns.b, "route", "add", subnetOf(cAddr), "via", gwOf(bAddr));
      await l.net.exec(l.ns.c, "route", "add", subnetOf(bAddr), "via", gwOf(cAddr));
      await waitFor(
        "a direct link replaces the relay",
        async () => {
          const st = await api<{ routing_table: Record<string, string> }>(b, "/p2p/relay_status");
          const peers = await api<{ peers: { peer_id: string; route: string }[] }>(b, "/p2p/peers");
          return !(c.peerId in st.json.routing_table) &&
            peers.json.peers.find((p) => p.peer_id === c.peerId)?.route === "direct";
        },
        40_000,
        500,
      );
    } finally {
      await close(l);
    }
  },
});

Deno.test({
  name: "broker_only: the attempt reports brokering, fails cleanly, and nothing is relayed",
  ignore: !ok,
  async fn() {
    let l: Lab | undefined;
    try {
      l = await lab("broker_only");
      const { a, b, c } = l;
      await introduced(b, c.peerId);
      const res = await api(b, "/p2p/connect_introduced", { peer_id: c.peerId });
      assert.equal(res.json.status, "failed", res.text);
      const steps = res.json.steps as { step: string; ok: boolean; detail: string }[];
      assert.deepEqual(steps.map((s) => [s.step, s.ok]), [["direct", false], ["broker", false], [
        "relay",
        false,
      ]]);
      assert.match(String(res.json.message), /does not relay \(policy broker_only\)/);
      assert.deepEqual((await api(b, "/p2p/relay_status")).json.routing_table, {});
      const sent = await api(b, "/p2p/send", { content: "queued, not relayed", peer_id: c.peerId });
      assert.equal(sent.json.state, "queued");
      const drops =
        (await api<{ mesh: { drops: Record<string, number> } }>(a, "/info")).json.mesh.drops;
      assert.equal(drops.relayed ?? 0, 0);
      assert.ok((drops.broker_intro_sent ?? 0) >= 1, "A did broker");
    } finally {
      await close(l);
    }
  },
});

Deno.test({
  name: "off: A forwards nothing at all",
  ignore: !ok,
  async fn() {
    let l: Lab | undefined;
    try {
      l = await lab("off");
      const { a, b, c } = l;
      const marker = `only-for-A-${crypto.randomUUID()}`;
      const sent = await api(b, "/p2p/send", { content: marker, broadcast: true });
      await waitFor(
        "A got B's broadcast",
        async () =>
          (await api<{ messages: { id: string }[] }>(a, "/messages?type=broadcast")).json.messages
            .some((m) => m.id === sent.json.message_id),
      );
      // Give A every chance to forward, then check C got nothing and learnt of nobody.
      await api(c, "/p2p/reconnect", { peer_id: a.peerId });
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(
        (await api<{ messages: unknown[] }>(c, "/messages?type=broadcast")).json.messages,
        [],
      );
      assert.deepEqual(
        (await api<{ introduced: unknown[] }>(c, "/p2p/introduced")).json.introduced,
        [],
      );
      assert.deepEqual(
        (await api<{ introduced: unknown[] }>(b, "/p2p/introduced")).json.introduced,
        [],
      );
      const drops =
        (await api<{ mesh: { drops: Record<string, number> } }>(a, "/info")).json.mesh.drops;
      assert.equal(drops.relayed ?? 0, 0);
      assert.equal(drops.broker_intro_sent ?? 0, 0);
    } finally {
      await close(l);
    }
  },
});
