/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * What a person does in the web UI, as functions for the browser tests:
 * set up an account from the startup URL, log in, open a page, read what
 * a field shows. Selectors are the ids and data-testid attributes the
 * pages carry for this.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import type { SpawnedNode } from "../_harness/spawn_node.ts";
import { goto } from "../_harness/browser.ts";

/** The password every test account uses. */
export const PASSWORD = "correct horse battery staple";

/** The one-time setup URL a fresh node printed at startup. */
export function setupUrlOf(node: SpawnedNode): string {
  const line = node.stdout.find((l) => l.trimStart().startsWith("setup:"));
  assert.ok(line, `no setup URL in the banner:\n${node.stdout.join("\n")}`);
  return line.slice(line.indexOf(":") + 1).trim();
}

/** Waits until `fn` (run in the page) returns a truthy value, which it returns. */
export async function until<T>(
  page: Page,
  what: string,
  fn: () => T,
  timeout = 20_000,
): Promise<T> {
  try {
    const handle = await page.waitForFunction(fn, { timeout, polling: 50 });
    const value = await handle.jsonValue();
    await handle.dispose();
    return value as T;
  } catch (e) {
    throw new Error(`timed out waiting for ${what} on ${page.url()}: ${(e as Error).message}`);
  }
}

/** Sets the value of a field the way typing would (an input event Preact sees). */
export async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForSelector(selector, { visible: true });
  await page.$eval(selector, (el, v) => {
    const input = el as HTMLInputElement | HTMLTextAreaElement;
    const proto = Object.getPrototypeOf(input);
    Object.getOwnPropertyDescriptor(proto, "value")!.set!.call(input, v);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

/** Clicks an element once it is visible. */
export async function click(page: Page, selector: string): Promise<void> {
  const el = await page.waitForSelector(selector, { visible: true });
  assert.ok(el, selector);
  await el.click();
  await el.dispose();
}

/** The value or text of an element. */
export function valueOf(page: Page, selector: string): Promise<string> {
  return page.$eval(
    selector,
    (el) => (el as HTMLInputElement).value ?? el.textContent ?? "",
  );
}

/** Goes to a page of the UI through the sidebar (no reload). */
export async function openPage(page: Page, name: string): Promise<void> {
  await click(page, `[data-testid=nav-${name}]`);
  await page.waitForFunction((n) => location.pathname === `/${n}`, {}, name);
}

/** Creates the account on a fresh node from its setup URL; ends on the Connect page. */
export async function setUp(page: Page, node: SpawnedNode, username: string): Promise<void> {
  await goto(page, setupUrlOf(node));
  await fill(page, "#setup-username", username);
  await fill(page, "#setup-password", PASSWORD);
  await fill(page, "#setup-confirm", PASSWORD);
  await click(page, "[data-testid=setup-form] button[type=submit]");
  await page.waitForSelector("#invite-code", { visible: true });
  assert.equal(new URL(page.url()).pathname, "/connect");
  assert.ok(!new URL(page.url()).search.includes("token"), "the token left the address bar");
}

/** Logs in from the login page. */
export async function logIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await fill(page, "#login-username", username);
  await fill(page, "#login-password", password);
  await click(page, "[data-testid=login-form] button[type=submit]");
}
