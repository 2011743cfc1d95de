/**
 * Relay policy precedence (SPEC §6): the last API choice survives restarts,
 * unless the flag or CANOPY_RELAY_POLICY sets one explicitly at startup.
 */
import assert from "node:assert/strict";
import { api, serveArgs, startNode, type TestNode } from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";

const policyOf = async (n: TestNode) => (await api(n, "/p2p/relay_status")).json.relay_policy;

Deno.test("relay policy: set through the API, kept across restarts, overridden by the environment", async () => {
  const nodes: TestNode[] = [];
  try {
    let node = await startNode();
    nodes.push(node);
    assert.equal(await policyOf(node), "broker_only", "the default");
    assert.deepEqual(Object.keys((await api(node, "/p2p/relay_status")).json).sort(), [
      "active_relays",
      "relay_policy",
      "routing_table",
    ]);

    const set = await api(node, "/p2p/relay_policy", { policy: "full_relay" });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.relay_policy, "full_relay");
    assert.equal((await api(node, "/p2p/status")).json.relay_policy, "full_relay");

    const bad = await api(node, "/p2p/relay_policy", { policy: "everything" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, "policy");

    const restart = async (env: Record<string, string> = {}, args = serveArgs()) => {
      await node.stop();
      node = await startNode({ dir: node.dir, key: node.key, env, args });
      nodes.push(node);
    };
    await restart();
    assert.equal(await policyOf(node), "full_relay", "persisted");
    await restart({ CANOPY_RELAY_POLICY: "off" });
    assert.equal(await policyOf(node), "off", "the environment wins at startup");
    await restart({}, serveArgs(0, "--relay-policy", "broker_only"));
    assert.equal(await policyOf(node), "broker_only", "so does the flag");
    await restart();
    assert.equal(await policyOf(node), "full_relay", "without them, the last API choice again");
  } finally {
    await cleanup(nodes);
  }
});
