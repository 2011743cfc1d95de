/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * The web UI's guarantees, in a real browser against one real node: every
 * page loads with no request leaving 127.0.0.1 (everything comes from the
 * node itself); the CSP header forbids inline script and the browser
 * enforces it; the live stream comes back by itself after the node
 * restarts; repeated wrong passwords show the node's wait.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, goto, isLocal, launchBrowser } from "../_harness/browser.ts";
import {
  cleanup,
  runCli,
  type SpawnedNode,
  spawnNode,
  TEST_SERVE_ARGS,
} from "../_harness/spawn_node.ts";
import { adminKey, freePort } from "../_harness/cluster.ts";
import { call } from "../_harness/http.ts";
import { click, logIn, setUp, until } from "./_ui.ts";

const browserOk = await chromiumAvailable();

/** Serve arguments with a fixed HTTP port, so a restarted node is found again. */
function fixedPortArgs(port: number): string[] {
  const args = [...TEST_SERVE_ARGS];
  args[args.indexOf("--port") + 1] = String(port);
  return args;
}

Deno.test({
  name: "web UI: local-only requests, CSP enforced, live stream reconnects, login slowed",
  ignore: !browserOk,
  async fn(t) {
    const nodes: SpawnedNode[] = [];
    const dirs: string[] = [];
    const browser = await launchBrowser();
    try {
      const args = fixedPortArgs(freePort());
      let node = await spawnNode({ args });
      nodes.push(node);
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on("request", (req) => requests.push(req.url()));
      let failed = false;
      const step = async (name: string, fn: () => Promise<void>) => {
        const ok = await t.step({
          name,
          ignore: failed,
          fn: async () => {
            try {
              await fn();
            } catch (e) {
              // Say what the browser saw, so a failure here can be understood.
              const body = await page.evaluate(() => document.body?.innerText.slice(0, 500)).catch(
                () => "?",
              );
              throw new Error(
                `${(e as Error).message}\n  at ${page.url()}\n  page text: ${
                  JSON.stringify(body)
                }\n  ` +
                  `browser problems: ${JSON.stringify(browser.problems)}`,
              );
            }
          },
        });
        if (!ok) failed = true;
      };

      await step("every page loads from the node alone", async () => {
        await setUp(page, node, "carol");
        const paths = [
          "/connect",
          "/messages",
          "/messages?to=broadcast",
          "/channels",
          "/channels?c=0123456789abcdef", // a channel this node never heard of
          "/settings",
        ];
        for (const path of [...paths, "/keys", "/nope"]) {
          await goto(page, node.baseUrl + path);
          await page.waitForSelector("main h1");
          await until(
            page,
            `${path} loaded`,
            () =>
              document.querySelector("[data-testid=live-state]")?.getAttribute("data-state") ===
                "open" && !document.querySelector(".loading"),
          );
        }
        assert.ok(requests.length > 30, `saw ${requests.length} requests`);
        const foreign = requests.filter((u) => !isLocal(u) || !u.startsWith(node.baseUrl));
        assert.deepEqual(foreign, [], "every request went to the node itself");
        assert.deepEqual(browser.offsite, []);
        assert.deepEqual(browser.problems, []);
      });

      await step("the CSP header forbids inline script, and the browser refuses it", async () => {
        const res = await goto(page, node.baseUrl + "/connect");
        const csp = res!.headers()["content-security-policy"];
        const directives = Object.fromEntries(
          csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]),
        );
        assert.deepEqual(directives["script-src"], ["'self'"]);
        assert.deepEqual(directives["style-src"], ["'self'"]);
        assert.deepEqual(directives["object-src"], ["'none'"]);
        assert.deepEqual(directives["frame-ancestors"], ["'none'"]);
        assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
        await page.waitForSelector("#invite-code");
        const outcome = await page.evaluate(async () => {
          const w = window as unknown as { inlineRan?: boolean };
          const violations: string[] = [];
          document.addEventListener("securitypolicyviolation", (e) => {
            violations.push(e.violatedDirective);
          });
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.append(script);
          const button = document.createElement("button");
          button.setAttribute("onclick", "window.inlineRan = true");
          document.body.append(button);
          button.click();
          await new Promise((r) => setTimeout(r, 100));
          return { inline: w.inlineRan === true, violations };
        });
        assert.equal(outcome.inline, false, "inline script did not run");
        assert.ok(
          outcome.violations.some((v) => v.startsWith("script-src")),
          outcome.violations.join(),
        );
        // The violations above were ours; nothing else was refused.
        const ours = browser.problems.filter((p) => p.startsWith("CSP:"));
        browser.problems.splice(
          0,
          browser.problems.length,
          ...browser.problems.filter((p) => !ours.includes(p)),
        );
        assert.deepEqual(browser.problems, []);
      });

      await step("the live stream comes back after the node restarts", async () => {
        await goto(page, node.baseUrl + "/connect");
        await until(
          page,
          "live",
          () =>
            document.querySelector("[data-testid=live-state]")?.getAttribute("data-state") ===
              "open",
        );
        await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
        await node.stop("SIGTERM");
        await until(
          page,
          "reconnecting",
          () =>
            document.querySelector("[data-testid=live-state]")?.getAttribute("data-state") !==
              "open",
        );
        node = await spawnNode({ dir: node.dir, args });
        nodes.push(node);
        await until(
          page,
          "live again",
          () =>
            document.querySelector("[data-testid=live-state]")?.getAttribute("data-state") ===
              "open",
          30_000,
        );
        // A peer imported by a script shows up on the open page, through the new stream.
        const key = await adminKey(node.dir);
        const other = await Deno.makeTempDir({ prefix: "canopy-other-" });
        dirs.push(other);
        const invite = await runCli(other, ["invite"]);
        assert.equal(invite.code, 0, invite.stderr);
        const code = invite.stdout.trim().split("\n").pop()!;
        const imported = await call(`${node.apiUrl}/p2p/invite/import`, {
          key,
          body: { invite_code: code },
        });
        assert.equal(imported.status, 200, imported.text);
        const peerId = imported.json.peer_id as string;
        await page.waitForSelector(`[data-testid=known-peers] [data-peer-id="${peerId}"]`, {
          timeout: 20_000,
        });
        assert.equal(
          await page.evaluate(() => (window as unknown as { marker?: number }).marker),
          1,
          "the page was never reloaded",
        );
      });

      await step("repeated wrong passwords show how long to wait", async () => {
        await click(page, "[data-testid=logout]");
        await page.waitForSelector("[data-testid=login-form]");
        let text = "";
        const statuses: number[] = [];
        for (let i = 0; i < 8 && !text.includes("Too many"); i++) {
          const [res] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/login")),
            logIn(page, "carol", `wrong password ${i}`),
          ]);
          statuses.push(res.status());
          text = await until(page, "the answer shown", () => {
            const alert = document.querySelector("[data-testid=login-form] [role=alert]");
            const button = document.querySelector<HTMLButtonElement>(
              "[data-testid=login-form] button",
            );
            return alert && !button?.disabled ? alert.textContent ?? "" : "";
          });
          if (res.status() === 401) assert.match(text, /Wrong username or password/);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], "five free tries, then a wait");
        assert.match(text, /Too many failed attempts; try again in \d+ seconds?/);
      });
    } finally {
      await browser.close();
      await cleanup(nodes, dirs);
    }
  },
});
