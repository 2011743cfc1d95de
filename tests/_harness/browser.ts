/// <reference lib="dom" />
/// <reference lib="deno.ns" />
/**
 * A real browser for UI tests: Debian's Chromium driven by puppeteer-core,
 * with a fresh profile, and no way out of the machine. Every page's
 * requests go through `guard`: anything not for 127.0.0.1 is blocked and
 * recorded, and `close()` fails the test if there was any. Behind that,
 * the browser itself resolves no host names and sends anything
 * non-loopback to a dead proxy on 127.0.0.1:9, so even a request the
 * guard missed (a service worker, the browser's own) cannot leave.
 *
 * Set CANOPY_CHROMIUM to use another binary. Set CI_REQUIRE_BROWSER=1 to
 * make a missing Chromium an error instead of a skipped test (CI does).
 * @module
 */
import puppeteer, {
  type Browser,
  type BrowserContext,
  type GoToOptions,
  type HTTPResponse,
  type Page,
} from "puppeteer-core";

/** The Chromium binary. */
export const CHROMIUM = Deno.env.get("CANOPY_CHROMIUM") ?? "/usr/bin/chromium";

/** Flags of every launch (puppeteer adds --headless=new and its automation defaults). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--no-pings",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
  "--proxy-server=http://127.0.0.1:9",
];

/** Where screenshots go (gitignored). */
export const SCREENSHOT_DIR = new URL("../../test-output/screenshots/", import.meta.url);

/** Screen sizes every page is photographed at. */
export const SCREEN_SIZES = [
  { width: 1280, height: 800 },
  { width: 375, height: 812 },
] as const;

/** True when a URL stays on this machine's loopback address (or never leaves the page). */
export function isLocal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === "data:" || u.protocol === "blob:" || u.href === "about:blank") return true;
  return (u.protocol === "http:" || u.protocol === "https:" || u.protocol === "ws:") &&
    u.hostname === "127.0.0.1";
}

/** A launched browser. */
export interface TestBrowser {
  readonly browser: Browser;
  /** Requests that tried to go anywhere but 127.0.0.1 (they were blocked). */
  readonly offsite: string[];
  /** Uncaught page errors, CSP violations and UI files that failed to load, on any page. */
  readonly problems: string[];
  /** A fresh browser context: its own cookies and storage, like another person. */
  newContext(): Promise<BrowserContext>;
  /** A guarded page in `context` (default: the browser's first context). */
  newPage(context?: BrowserContext): Promise<Page>;
  /** Closes the browser and its profile; throws if any request went off the machine. */
  close(): Promise<void>;
}

let probed: boolean | undefined;

/** True when Chromium is installed (see CI_REQUIRE_BROWSER). */
export async function chromiumAvailable(): Promise<boolean> {
  if (probed !== undefined) return probed;
  try {
    probed = (await Deno.stat(CHROMIUM)).isFile;
  } catch {
    probed = false;
  }
  if (!probed && Deno.env.get("CI_REQUIRE_BROWSER") === "1") {
    throw new Error(`Chromium is required (CI_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing`);
  }
  return probed;
}

/** Blocks and records every request of `page` that is not for 127.0.0.1. */
export async function guard(page: Page, offsite: string[], problems: string[]): Promise<void> {
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    if (req.isInterceptResolutionHandled()) return;
    if (isLocal(req.url())) {
      void req.continue();
    } else {
      offsite.push(req.url());
      void req.abort("blockedbyclient");
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${(e as Error).message ?? e}`));
  page.on("response", (res) => {
    // A UI file that fails to load breaks the page silently: count it. (API errors are the UI's business.)
    const url = new URL(res.url());
    if (res.status() >= 400 && !url.pathname.startsWith("/api/")) {
      problems.push(`HTTP ${res.status()} for ${url.pathname}`);
    }
  });
  page.on("requestfailed", (req) => {
    const why = req.failure()?.errorText ?? "failed";
    // Aborts by the page itself (navigating away, closed streams) are normal.
    if (why !== "net::ERR_ABORTED" && why !== "net::ERR_BLOCKED_BY_CLIENT") {
      problems.push(`request failed: ${new URL(req.url()).pathname} ${why}`);
    }
  });
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(text)) {
      problems.push(`CSP: ${text}`);
    }
  });
}

/** Launches Chromium with a fresh profile. Always `close()` it in `finally`. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "canopy-chromium-" });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: profile,
      args: [...CHROMIUM_FLAGS],
      defaultViewport: SCREEN_SIZES[0],
      protocolTimeout: 60_000,
    });
  } catch (e) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw e;
  }
  const offsite: string[] = [];
  const problems: string[] = [];
  let closing: Promise<void> | undefined;
  return {
    browser,
    offsite,
    problems,
    newContext: () => browser.createBrowserContext(),
    async newPage(context?: BrowserContext) {
      const page = await (context ?? browser.defaultBrowserContext()).newPage();
      await guard(page, offsite, problems);
      return page;
    },
    close() {
      return closing ??= (async () => {
        try {
          await browser.close();
        } finally {
          await Deno.remove(profile, { recursive: true }).catch(() => {});
        }
        if (offsite.length > 0) {
          throw new Error(`requests tried to leave 127.0.0.1:\n${offsite.join("\n")}`);
        }
      })();
    },
  };
}

/**
 * Saves a full-page screenshot of `page` at each of SCREEN_SIZES as
 * `test-output/screenshots/<name>-<width>.png`, then restores the first size.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const size of SCREEN_SIZES) {
    await page.setViewport(size);
    // From the top: a sticky header photographed mid-scroll lands in the middle of the picture.
    await page.evaluate(() => globalThis.scrollTo(0, 0));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    await page.screenshot({
      path: new URL(`${name}-${size.width}.png`, SCREENSHOT_DIR).pathname as `${string}.png`,
      fullPage: true,
    });
  }
  await page.setViewport(SCREEN_SIZES[0]);
}

/**
 * `page.goto`, tried again when Chromium reports ERR_NETWORK_CHANGED: it
 * aborts loads whenever the machine's interfaces change, which other tests
 * (network namespaces) do while this one runs.
 */
export async function goto(
  page: Page,
  url: string,
  options: GoToOptions = {},
): Promise<HTTPResponse | null> {
  for (let attempt = 0;; attempt++) {
    try {
      return await page.goto(url, options);
    } catch (e) {
      if (attempt >= 4 || !String((e as Error).message).includes("ERR_NETWORK_CHANGED")) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
