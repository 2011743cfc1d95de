/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * The seed guide, done in a real browser against two real nodes, A and B,
 * each in its own browser context (its own cookies, like two people):
 * set up both accounts; create an API key in the UI and use it from here;
 * copy A's invite, import it on B and see "connected"; accept B on A; send
 * a direct message and a broadcast from B and watch them arrive on A's open
 * page, with the direct message moving to delivered; revoke the key and see
 * the API refuse it; log out and in; see a session ended elsewhere send the
 * UI back to the login page. Screenshots of each page land in
 * test-output/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { chromiumAvailable, goto, launchBrowser, screenshots } from "../_harness/browser.ts";
import { cleanup, type SpawnedNode, spawnNode } from "../_harness/spawn_node.ts";
import { call } from "../_harness/http.ts";
import { click, fill, logIn, openPage, PASSWORD, setUp, until, valueOf } from "./_ui.ts";

const browserOk = await chromiumAvailable();

/** The state of the message with `text` on a Messages page, or "" while it is not shown. */
function messageState(page: Page, text: string): Promise<string> {
  return page.$$eval(".msg", (items, t) => {
    const li = items.find((el) => el.querySelector(".msg-text")?.textContent === t);
    return li ? (li.getAttribute("data-state") ?? "?") : "";
  }, text);
}

Deno.test({
  name: "two nodes through the web UI: keys, invite, accept, messages, revoke, sessions",
  ignore: !browserOk,
  async fn(t) {
    const nodes: SpawnedNode[] = [];
    const browser = await launchBrowser();
    try {
      const [a, b] = await Promise.all([spawnNode(), spawnNode()]);
      nodes.push(a, b);
      const ctxA = await browser.newContext();
      const ctxB = await browser.newContext();
      await ctxA.overridePermissions(a.baseUrl, ["clipboard-read", "clipboard-write"]);
      const pageA = await browser.newPage(ctxA);
      const pageB = await browser.newPage(ctxB);
      let key = "";
      // Each step builds on the last: after a failure the rest are skipped, not timed out.
      let failed = false;
      const step = async (name: string, fn: () => Promise<void>) => {
        const ok = await t.step({ name, ignore: failed, fn });
        if (!ok) failed = true;
      };

      await step("both accounts are set up from the startup URL", async () => {
        await goto(pageA, a.baseUrl + "/");
        await pageA.waitForSelector("[data-testid=setup-form]");
        assert.equal(new URL(pageA.url()).pathname, "/setup", "a fresh node asks for setup");
        await screenshots(pageA, "setup");
        await Promise.all([setUp(pageA, a, "alice"), setUp(pageB, b, "bob")]);
        const status = await call(`${a.apiUrl}/auth/status`);
        assert.equal(status.json.needs_setup, false);
      });

      await step("an API key made in the UI works from a script", async () => {
        await openPage(pageA, "keys");
        await fill(pageA, "#key-name", "e2e-script");
        await click(pageA, "[data-testid=create-key]");
        await pageA.waitForSelector("#new-key", { visible: true });
        key = await valueOf(pageA, "#new-key");
        assert.match(key, /^cnp_/);
        const curl = await valueOf(pageA, "[data-testid=curl-example]");
        assert.ok(curl.includes(key) && curl.includes(`${a.baseUrl}/api/v1/p2p/peers`), curl);
        await screenshots(pageA, "keys");
        const res = await call(`${a.apiUrl}/p2p/peers`, { key });
        assert.equal(res.status, 200, res.text);
        // The list shows when it was last used.
        await click(pageA, "[data-testid=nav-connect]");
        await openPage(pageA, "keys");
        await until(pageA, "last use shown", () => {
          const cell = document.querySelector("[data-testid=key-last-used]");
          return cell !== null && cell.textContent !== "never";
        });
      });

      await step("A's invite, copied from the Connect page, connects B", async () => {
        await openPage(pageA, "connect");
        await until(
          pageA,
          "invite code",
          () =>
            (document.querySelector("#invite-code") as HTMLTextAreaElement)?.value.startsWith(
              "canopy:",
            ),
        );
        await pageA.waitForSelector("[data-testid=invite-qr] path");
        const shown = await valueOf(pageA, "#invite-code");
        await pageA.bringToFront(); // the clipboard belongs to the focused page
        await click(pageA, "#copy-invite");
        await until(
          pageA,
          "copied",
          () => document.querySelector("#copy-invite")?.textContent?.includes("Copied"),
        );
        const copied = await pageA.evaluate(() => navigator.clipboard.readText());
        assert.equal(copied, shown);
        await pageA.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

        await openPage(pageB, "connect");
        await fill(pageB, "#import-code", `\n  ${copied}\n`);
        await click(pageB, "[data-testid=import-submit]");
        const outcome = await pageB.waitForSelector("[data-testid=import-outcome]", {
          timeout: 20_000,
        });
        assert.equal(await outcome!.evaluate((el) => el.getAttribute("data-status")), "connected");
        assert.match(await outcome!.evaluate((el) => el.textContent ?? ""), /Connected/);
        await outcome!.dispose();
      });

      await step("A sees the contact request live and accepts it; both show Direct", async () => {
        const pending = `[data-testid=pending-peers] [data-peer-id="${b.peerId}"]`;
        await pageA.waitForSelector(pending, { timeout: 20_000 });
        await click(pageA, `${pending} [data-testid=peer-accept]`);
        const connectedOnA = `[data-testid=connected-peers] [data-peer-id="${b.peerId}"]`;
        await pageA.waitForSelector(`${connectedOnA} .badge-direct`, { timeout: 20_000 });
        const badge = await valueOf(pageA, `${connectedOnA} .badge-direct`);
        assert.equal(badge.trim(), "Direct");
        await pageB.waitForSelector(
          `[data-testid=connected-peers] [data-peer-id="${a.peerId}"] .badge-direct`,
        );
        assert.equal(
          await pageA.evaluate(() => (window as unknown as { marker?: number }).marker),
          1,
          "A's page was never reloaded",
        );
        await screenshots(pageA, "connect");
        await screenshots(pageB, "connect-import");
      });

      await step("a direct message from B arrives live on A and turns delivered on B", async () => {
        await openPage(pageA, "messages");
        await click(pageA, `[data-conversation=broadcast]`);
        await pageA.evaluate(() => ((window as unknown as { marker: number }).marker = 2));

        await openPage(pageB, "messages");
        await click(pageB, `a[data-conversation="${a.peerId}"]`);
        await fill(pageB, "#compose", "Hello A, this is B");
        await click(pageB, "[data-testid=send]");
        await until(
          pageB,
          "the message delivered on B",
          () =>
            [...document.querySelectorAll(".msg.out")].some((el) =>
              el.querySelector(".msg-text")?.textContent === "Hello A, this is B" &&
              el.getAttribute("data-state") === "delivered"
            ),
        );
        assert.match(await valueOf(pageB, ".msg.out [data-testid=msg-state]"), /Delivered/);

        // A is looking at Broadcast: B's conversation gets an unread count, live.
        const unreadB = `a[data-conversation="${b.peerId}"] [data-testid=unread]`;
        await pageA.waitForSelector(unreadB, { timeout: 20_000 });
        assert.match(await valueOf(pageA, unreadB), /^1/);
        assert.match(await valueOf(pageA, "[data-testid=nav-unread]"), /^1/);
        await click(pageA, `a[data-conversation="${b.peerId}"]`);
        await until(
          pageA,
          "the message on A",
          () =>
            [...document.querySelectorAll(".msg.in .msg-text")].some((el) =>
              el.textContent === "Hello A, this is B"
            ),
        );
        await until(pageA, "unread cleared", () => !document.querySelector("[data-testid=unread]"));
        assert.equal(
          await pageA.evaluate(() => (window as unknown as { marker?: number }).marker),
          2,
          "A's page was never reloaded",
        );
      });

      await step("a broadcast from B arrives live on A", async () => {
        await click(pageB, `a[data-conversation=broadcast]`);
        await fill(pageB, "#compose", "Hello everyone");
        await pageB.focus("#compose");
        await pageB.keyboard.press("Enter"); // Enter sends, like the button
        await until(
          pageB,
          "the broadcast shown on B",
          () =>
            [...document.querySelectorAll(".msg.out .msg-text")].some((el) =>
              el.textContent === "Hello everyone"
            ),
        );
        assert.notEqual(await messageState(pageB, "Hello everyone"), "");
        const unreadBroadcast = `a[data-conversation=broadcast] [data-testid=unread]`;
        await pageA.waitForSelector(unreadBroadcast, { timeout: 20_000 });
        await click(pageA, `a[data-conversation=broadcast]`);
        await until(
          pageA,
          "the broadcast on A",
          () =>
            [...document.querySelectorAll(".msg.in")].some((el) =>
              el.querySelector(".msg-text")?.textContent === "Hello everyone" &&
              (el.querySelector(".msg-from")?.textContent ?? "").length > 0
            ),
        );
        await screenshots(pageA, "messages");
        await click(pageB, `a[data-conversation="${a.peerId}"]`);
        await pageB.waitForSelector(".msg.out[data-state=delivered]");
        await screenshots(pageB, "messages-sender");
      });

      await step("the other pages render", async () => {
        await openPage(pageA, "channels");
        await pageA.waitForSelector("[data-testid=soon]");
        await screenshots(pageA, "channels");
        await openPage(pageA, "settings");
        await until(
          pageA,
          "relay policy",
          () => document.querySelector("[data-testid=relay-policy]")?.textContent !== "…",
        );
        await screenshots(pageA, "settings");
      });

      await step("revoking the key in the UI makes the API refuse it", async () => {
        await openPage(pageA, "keys");
        await click(pageA, "[data-testid=revoke-key]");
        await pageA.waitForSelector("dialog[open]", { visible: true });
        await click(pageA, "dialog[open] [data-testid=revoke-key-confirm]");
        await pageA.waitForSelector("li.key[data-status=revoked]");
        const res = await call(`${a.apiUrl}/p2p/peers`, { key });
        assert.equal(res.status, 401);
        assert.match(res.json.error as string, /revoked/);
      });

      await step("log out, a wrong password, log in again", async () => {
        await click(pageA, "[data-testid=logout]");
        await pageA.waitForSelector("[data-testid=login-form]");
        await screenshots(pageA, "login");
        await logIn(pageA, "alice", "not the password");
        await until(
          pageA,
          "an error",
          () =>
            document.querySelector("[role=alert]")?.textContent?.includes(
              "Wrong username or password",
            ),
        );
        await logIn(pageA, "alice");
        await pageA.waitForSelector("#invite-code", { visible: true });
      });

      await step("a session ended elsewhere sends its page to the login page", async () => {
        const ctxA2 = await browser.newContext();
        try {
          const other = await browser.newPage(ctxA2);
          await goto(other, `${a.baseUrl}/keys`);
          await logIn(other, "alice");
          await other.waitForSelector("[data-testid=create-key-form]");
          assert.equal(
            new URL(other.url()).pathname,
            "/keys",
            "login returns to the page asked for",
          );

          await openPage(pageA, "settings");
          await fill(pageA, "#old-password", PASSWORD);
          await fill(pageA, "#new-password", "an even better password");
          await fill(pageA, "#confirm-password", "an even better password");
          await click(pageA, "[data-testid=change-password]");
          const done = await pageA.waitForSelector("[data-testid=password-changed]");
          assert.match(await done!.evaluate((el) => el.textContent ?? ""), /1 other session/);
          await done!.dispose();

          // Its next call is refused: the page goes to the login page (it may get there at once).
          await click(other, "[data-testid=nav-connect]");
          await other.waitForSelector("[data-testid=login-form]", { timeout: 20_000 });
          assert.match(await valueOf(other, "[data-testid=login-reason]"), /session/i);
        } finally {
          await ctxA2.close();
        }
      });

      assert.deepEqual(browser.problems, [], "no page errors or CSP violations");
    } finally {
      await browser.close();
      await cleanup(nodes);
    }
  },
});
