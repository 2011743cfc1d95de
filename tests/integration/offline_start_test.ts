/**
 * SPEC §2: once `deno install` has run, `deno task start` starts with no
 * network access at all — here inside a network namespace that has only a
 * loopback interface.
 */
import assert from "node:assert/strict";
import { Netns, netnsAvailable } from "../_harness/netns.ts";
import { REPO } from "../_harness/spawn_node.ts";

Deno.test({
  name: "deno task start runs in a namespace with no route out",
  ignore: !(await netnsAvailable()),
  async fn() {
    const net = new Netns();
    const sub = `data/test-offline-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const ns = await net.host("offline");
      assert.match(await net.exec(ns, "route", "show"), /^\s*$/, "no routes at all");
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          ns,
          Deno.execPath(),
          "task",
          "start",
          "--port",
          "0",
          "--mesh-port",
          "0",
          "--no-discovery",
          "--data-dir",
          sub,
        ],
        cwd: REPO,
        env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let text = "";
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const deadline = Date.now() + 30_000;
      while (!text.includes("Ready.") && Date.now() < deadline) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      child.kill("SIGTERM");
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
      ]);
      assert.match(text, /Ready\./, `no Ready. line:\n${text}\n${stderr}`);
      assert.match(text, /peer id: +\w{16}/);
      assert.equal(status.code, 0, stderr);
    } finally {
      await net.close();
      await Deno.remove(`${REPO}${sub}`, { recursive: true }).catch(() => {});
    }
  },
});
