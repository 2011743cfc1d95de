/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * The seed guide, done in a real browser against two real nodes, A and B,
 * each in its own browser context (its own cookies, like two people):
 * set up both accounts; create an API key in the UI and use it from here;
 * copy A's invite, import it on B and see "connected"; accept B on A; send
 * a direct message and a broadcast from B and watch them arrive on A's open
 * page, with the direct message moving to delivered; create a channel on A
 * and post to it from B, live on A; change A's names and device avatar in
 * Settings (the picture resized in the browser) and see them on B's open
 * Connect page; connect B to C, whom A introduced, from the Known Peers /
 * Introduced list; switch A's relay policy in Settings and see the relay
 * status follow, also when a script changes it; revoke the key and see the
 * API refuse it; log out and in; see a session ended elsewhere send the UI
 * back to the login page. Screenshots of each page land in
 * test-output/screenshots/.
 */
import assert from "node:assert/strict";
import type { ElementHandle, Page } from "puppeteer-core";
import { chromiumAvailable, goto, launchBrowser, screenshots } from "../_harness/browser.ts";
import { cleanup, type SpawnedNode, spawnNode } from "../_harness/spawn_node.ts";
import { call } from "../_harness/http.ts";
import { api, startNodes } from "../_harness/cluster.ts";
import { click, fill, logIn, openPage, PASSWORD, setUp, until, valueOf } from "./_ui.ts";

const browserOk = await chromiumAvailable();

/** The state of the message with `text` on a Messages page, or "" while it is not shown. */
/** Waits until an element matching `selector` on `page` has exactly `text` (trimmed). */
async function textIn(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      (sel, want) =>
        [...document.querySelectorAll(sel)].some((el) => el.textContent?.trim() === want),
      { timeout: 20_000, polling: 50 },
      selector,
      text,
    );
  } catch (e) {
    const seen = await page.$$eval(selector, (els) => els.map((el) => el.textContent?.trim()));
    throw new Error(
      `no "${text}" in ${selector} on ${page.url()} (saw ${JSON.stringify(seen)}): ${
        (e as Error).message
      }`,
    );
  }
}

function messageState(page: Page, text: string): Promise<string> {
  return page.$$eval(".msg", (items, t) => {
    const li = items.find((el) => el.querySelector(".msg-text")?.textContent === t);
    return li ? (li.getAttribute("data-state") ?? "?") : "";
  }, text);
}

Deno.test({
  name:
    "two nodes through the web UI: keys, invite, accept, messages, channels, profiles, introductions, relay policy, revoke, sessions",
  ignore: !browserOk,
  async fn(t) {
    const nodes: SpawnedNode[] = [];
    const files: string[] = [];
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

      await step("a channel created on A's page gets B's post, live on A", async () => {
        await openPage(pageA, "channels");
        await pageA.waitForSelector("[data-testid=channels-empty]");
        await screenshots(pageA, "channels-empty");
        await click(pageA, "[data-testid=new-channel]");
        await fill(pageA, "#channel-name", "e2e-general");
        await fill(pageA, "#channel-description", "Where the browser tests talk");
        await click(pageA, "[data-testid=create-channel]");
        const id = await until(
          pageA,
          "the new channel selected",
          () => new URLSearchParams(location.search).get("c"),
        );
        await pageA.waitForSelector(`section.thread[data-channel="${id}"]`);
        await pageA.evaluate(() => ((window as unknown as { marker: number }).marker = 3));
        const device = await call(`${a.apiUrl}/device/profile`, { key });
        assert.equal(device.status, 200, device.text);

        // B hears of the channel live, with the device it started on.
        await openPage(pageB, "channels");
        const item = `a[data-channel="${id}"]`;
        await pageB.waitForSelector(item, { timeout: 20_000 });
        assert.ok(
          (await valueOf(pageB, `${item} [data-testid=channel-origin]`)).includes(
            device.json.device_name as string,
          ),
          "the originating device is listed",
        );
        await click(pageB, item);
        await pageB.waitForSelector(`section.thread[data-channel="${id}"]`);
        await fill(pageB, "#channel-compose", "Hello channel, this is B");
        await click(pageB, "[data-testid=channel-send]");
        await textIn(pageB, ".post.out .msg-text", "Hello channel, this is B");

        // A sees it arrive without a reload, and the list counts it.
        await textIn(pageA, ".post.in .msg-text", "Hello channel, this is B");
        await textIn(pageA, `${item} [data-testid=channel-count]`, "1 post");
        assert.equal(
          await pageA.evaluate(() => (window as unknown as { marker?: number }).marker),
          3,
          "A's page was never reloaded",
        );
        await fill(pageA, "#channel-compose", "Welcome, B");
        await pageA.focus("#channel-compose");
        await pageA.keyboard.press("Enter");
        await textIn(pageB, ".post.in .msg-text", "Welcome, B");
        await screenshots(pageA, "channels");
        await screenshots(pageB, "channels-peer");
      });

      await step(
        "A's names and avatar, changed in Settings, show live on B's Connect page",
        async () => {
          await openPage(pageB, "connect");
          const cardOfA = `[data-testid=connected-peers] [data-peer-id="${a.peerId}"]`;
          await pageB.waitForSelector(cardOfA);
          await pageB.evaluate(() => ((window as unknown as { marker: number }).marker = 4));

          await openPage(pageA, "settings");
          await fill(pageA, "#display-name", "Alice");
          await fill(pageA, "#bio", "Testing Canopy in a browser");
          await click(pageA, "[data-testid=user-profile-form-save]");
          await pageA.waitForSelector("[data-testid=user-profile-form-saved]");

          await fill(pageA, "#device-name", "Alice's e2e laptop");
          // A 640×400 picture, drawn by the browser itself: the page must crop and shrink it.
          const png = await pageA.evaluate(() => {
            const canvas = document.createElement("canvas");
            canvas.width = 640;
            canvas.height = 400;
            const ctx = canvas.getContext("2d")!;
            const g = ctx.createLinearGradient(0, 0, 640, 400);
            g.addColorStop(0, "#1f6f43");
            g.addColorStop(1, "#f4c430");
            ctx.fillStyle = g;
            ctx.fillRect(0, 0, 640, 400);
            ctx.fillStyle = "#ffffff";
            ctx.beginPath();
            ctx.arc(320, 200, 120, 0, 2 * Math.PI);
            ctx.fill();
            return canvas.toDataURL("image/png").split(",")[1];
          });
          const picture = await Deno.makeTempFile({ prefix: "canopy-avatar-", suffix: ".png" });
          files.push(picture);
          await Deno.writeFile(picture, Uint8Array.from(atob(png), (c) => c.charCodeAt(0)));
          const input = await pageA.waitForSelector("#device-avatar");
          await (input as ElementHandle<HTMLInputElement>).uploadFile(picture);
          await input!.dispose();
          await pageA.waitForSelector("[data-testid=device-avatar-preview][data-has-avatar=true]");
          await click(pageA, "[data-testid=device-profile-form-save]");
          await pageA.waitForSelector("[data-testid=device-profile-form-saved]");

          const saved = await call(`${a.apiUrl}/device/profile`, { key });
          assert.equal(saved.json.device_name, "Alice's e2e laptop");
          const avatar = saved.json.avatar as string;
          assert.match(avatar, /^data:image\/(webp|jpeg);base64,/);
          const bytes = Uint8Array.from(atob(avatar.split(",")[1]), (c) => c.charCodeAt(0));
          assert.ok(bytes.length <= 64 * 1024, `avatar of ${bytes.length} bytes`);
          const side = await pageA.evaluate(async (url) => {
            const img = new Image(); // img-src allows data: (connect-src, for fetch, does not)
            img.src = url;
            await img.decode();
            return [img.naturalWidth, img.naturalHeight];
          }, avatar);
          assert.deepEqual(side, [128, 128], "a square thumbnail");

          // B's open Connect page follows, without a reload.
          await textIn(pageB, `${cardOfA} [data-testid=peer-name]`, "Alice");
          await textIn(pageB, `${cardOfA} [data-testid=peer-device]`, "Alice's e2e laptop");
          await pageB.waitForFunction(
            (sel) => document.querySelector(sel)?.getAttribute("src")?.startsWith("data:image/"),
            { timeout: 20_000 },
            `${cardOfA} img.avatar`,
          );
          assert.equal(
            await pageB.evaluate(() => (window as unknown as { marker?: number }).marker),
            4,
            "B's page was never reloaded",
          );
          await screenshots(pageA, "settings");
          await screenshots(pageB, "connect-profiles");

          // Messages carry the sender's names too.
          await openPage(pageB, "messages");
          await click(pageB, "a[data-conversation=broadcast]");
          const sent = await call(`${a.apiUrl}/p2p/send`, {
            key,
            body: { content: "Alice here, with a name now", broadcast: true },
          });
          assert.equal(sent.status, 200, sent.text);
          await textIn(pageB, ".msg.in .msg-text", "Alice here, with a name now");
          await textIn(pageB, ".msg.in [data-testid=msg-from]", "Alice");
          await textIn(pageB, ".msg.in .msg-device", "· Alice's e2e laptop");
          await screenshots(pageB, "messages-names");
        },
      );

      await step("B connects to C, whom A introduced, from its Connect page", async () => {
        // C is linked to A by script; A introduces it to B.
        const [c] = await startNodes(nodes, 1);
        await api(c, "/profile", { display_name: "Carol" });
        await api(c, "/device/profile", { device_name: "Carol's box" });
        const invite = await call(`${a.apiUrl}/p2p/invite`, { key });
        const imported = await api(c, "/p2p/invite/import", {
          invite_code: invite.json.invite_code,
        });
        assert.equal(imported.json.status, "connected", imported.text);
        const accepted = await call(`${a.apiUrl}/p2p/accept`, { key, body: { peer_id: c.peerId } });
        assert.equal(accepted.status, 200, accepted.text);

        await openPage(pageB, "connect");
        const known = `[data-testid=known-peers] [data-peer-id="${c.peerId}"]`;
        await pageB.waitForSelector(known, { timeout: 20_000 });
        await textIn(pageB, `${known} [data-testid=introduced-by]`, "Alice");
        await screenshots(pageB, "connect-introduced");
        await click(pageB, `${known} [data-testid=peer-connect]`);
        const connected = `[data-testid=connected-peers] [data-peer-id="${c.peerId}"]`;
        await pageB.waitForSelector(`${connected} .badge-direct`, { timeout: 30_000 });
        await pageB.waitForSelector(`${connected} [data-testid=peer-outcome][data-ok=true]`);
        const steps = await pageB.$$eval(
          `${connected} [data-testid=connect-steps] li`,
          (items) =>
            items.map((li) => `${li.getAttribute("data-step")}:${li.getAttribute("data-ok")}`),
        );
        assert.deepEqual(steps, ["direct:true"]);
        await textIn(pageB, `${connected} [data-testid=peer-name]`, "Carol");
        await screenshots(pageB, "connect-introduced-connected");
      });

      await step(
        "the relay policy switched in A's Settings shows in the relay status, live",
        async () => {
          await openPage(pageA, "settings");
          await textIn(pageA, "[data-testid=relay-policy]", "broker_only");
          await pageA.waitForSelector("[data-testid=relay-routes][data-rows='0']");
          await pageA.select("#relay-policy-select", "full_relay");
          await click(pageA, "[data-testid=relay-apply]");
          await textIn(pageA, "[data-testid=relay-policy]", "full_relay");
          await pageA.waitForSelector("[data-testid=relay-saved]");
          const status = await call(`${a.apiUrl}/p2p/relay_status`, { key });
          assert.equal(status.json.relay_policy, "full_relay");
          await screenshots(pageA, "settings-relay");

          // Changed by a script: the open page follows through the event stream.
          await pageA.evaluate(() => ((window as unknown as { marker: number }).marker = 5));
          const off = await call(`${a.apiUrl}/p2p/relay_policy`, { key, body: { policy: "off" } });
          assert.equal(off.status, 200, off.text);
          await textIn(pageA, "[data-testid=relay-policy]", "off");
          assert.equal(await valueOf(pageA, "#relay-policy-select"), "off");
          assert.equal(
            await pageA.evaluate(() => (window as unknown as { marker?: number }).marker),
            5,
            "A's page was never reloaded",
          );
        },
      );

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
      await cleanup(nodes, files);
    }
  },
});
