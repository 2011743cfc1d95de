/**
 * Two hosts: each node in its own network namespace, the two linked only by a
 * veth pair on 10.77.0.0/24 (a private /24 that exists nowhere but here). The
 * invite of each lists its real interface address and nothing else, and the
 * guide's flow works across the link. The test process is not in either
 * namespace, so every API call runs inside the node's namespace
 * (`tests/_harness/ns_http.ts`); no node traffic touches the host's network.
 */
import assert from "node:assert/strict";
import { decodeInvite } from "../../src/identity/invite.ts";
import {
  type Msg,
  netnsServeArgs,
  startNode,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { Netns, netnsAvailable } from "../_harness/netns.ts";
import { cleanup } from "../_harness/spawn_node.ts";
import type { ApiResponse } from "../_harness/http.ts";
import { nsHttp } from "../_harness/ns_http.ts";

const ADDR_A = "10.77.0.1";
const ADDR_B = "10.77.0.2";

/** A node and the namespace it runs in. */
interface Host {
  readonly node: TestNode;
  readonly ns: string;
  readonly addr: string;
}

/** An API call on a host's node, from inside its namespace. */
function api<T = Record<string, unknown>>(
  host: Host,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  return nsHttp(host.ns).call<T>(`${host.node.apiUrl}${path}`, { key: host.node.key, body });
}

async function ok<T = Record<string, unknown>>(
  host: Host,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await api<T>(host, path, body);
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  return res.json;
}

async function messages(host: Host, query = ""): Promise<Msg[]> {
  return (await ok<{ messages: Msg[] }>(host, `/messages${query}`)).messages;
}

Deno.test({
  name: "two hosts in network namespaces: real addresses in invites, guide flow across the link",
  ignore: !(await netnsAvailable()),
  async fn(t) {
    const net = new Netns();
    const nodes: TestNode[] = [];
    try {
      const nsA = await net.host("a");
      const nsB = await net.host("b");
      await net.link(nsA, `${ADDR_A}/24`, nsB, `${ADDR_B}/24`);
      const args = netnsServeArgs();
      const nodeA = await startNode({ netns: nsA, args });
      nodes.push(nodeA);
      const nodeB = await startNode({ netns: nsB, args });
      nodes.push(nodeB);
      const a: Host = { node: nodeA, ns: nsA, addr: ADDR_A };
      const b: Host = { node: nodeB, ns: nsB, addr: ADDR_B };

      await t.step("each invite lists exactly its interface address, no loopback", async () => {
        for (const host of [a, b]) {
          const expected = [`ws://${host.addr}:${host.node.meshPort}`];
          const invite = await ok<{ invite_code: string; peer_id: string; endpoints: string[] }>(
            host,
            "/p2p/invite",
          );
          assert.equal(invite.peer_id, host.node.peerId);
          assert.deepEqual(invite.endpoints, expected);
          const decoded = decodeInvite(invite.invite_code);
          assert.equal(decoded.peerId, host.node.peerId);
          assert.deepEqual(decoded.endpoints, expected);
        }
      });

      await t.step("B imports A's invite, A imports B's: connected both ways", async () => {
        const inviteA = (await ok<{ invite_code: string }>(a, "/p2p/invite")).invite_code;
        const resB = await ok(b, "/p2p/invite/import", { invite_code: inviteA });
        assert.equal(resB.status, "connected", JSON.stringify(resB));
        assert.equal(resB.peer_id, a.node.peerId);
        assert.equal(resB.connected_endpoint, `ws://${ADDR_A}:${a.node.meshPort}`);

        const pending = await ok<{ pending_requests: string[] }>(a, "/p2p/peers");
        assert.deepEqual(pending.pending_requests, [b.node.peerId]);
        const inviteB = (await ok<{ invite_code: string }>(b, "/p2p/invite")).invite_code;
        const resA = await ok(a, "/p2p/invite/import", { invite_code: inviteB });
        assert.equal(resA.status, "connected", JSON.stringify(resA));
        assert.equal(resA.connected_endpoint, `ws://${ADDR_B}:${b.node.meshPort}`);

        for (const [host, other] of [[a, b], [b, a]] as const) {
          const peers = await ok<{ connected_peers: string[]; pending_requests: string[] }>(
            host,
            "/p2p/peers",
          );
          assert.deepEqual(peers.connected_peers, [other.node.peerId]);
          assert.deepEqual(peers.pending_requests, []);
        }
      });

      await t.step("a broadcast from B reaches A with B as origin", async () => {
        const sent = await ok(b, "/p2p/send", {
          content: "Hello across the veth!",
          broadcast: true,
        });
        assert.equal(sent.success, true);
        assert.equal(sent.broadcast, true);
        const got = await waitFor(
          "broadcast on A",
          async () =>
            (await messages(a, "?type=broadcast")).find((m) =>
              m.content === "Hello across the veth!"
            ),
          30_000,
          200,
        );
        assert.equal(got.origin, b.node.peerId);
        assert.equal(got.outgoing, false);
      });

      await t.step("a direct message from A reaches B and becomes delivered on A", async () => {
        const sent = await ok<{ success: boolean; message_id: string }>(a, "/p2p/send", {
          content: "Hello B, this is A",
          peer_id: b.node.peerId,
        });
        assert.equal(sent.success, true);
        const got = await waitFor(
          "direct on B",
          async () =>
            (await messages(b, `?peer_id=${a.node.peerId}`)).find((m) => m.id === sent.message_id),
          30_000,
          200,
        );
        assert.equal(got.content, "Hello B, this is A");
        assert.equal(got.origin, a.node.peerId);
        assert.equal(got.type, "direct");
        assert.equal(got.outgoing, false);
        await waitFor(
          "delivered on A",
          async () =>
            (await messages(a, `?peer_id=${b.node.peerId}`)).find((m) =>
              m.id === sent.message_id && m.state === "delivered"
            ),
          30_000,
          200,
        );
      });
    } finally {
      await cleanup(nodes);
      await net.close();
    }
  },
});
