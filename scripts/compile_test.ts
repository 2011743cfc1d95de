import assert from "node:assert/strict";
import { devOnlyStoreDirs } from "./compile.ts";

Deno.test("dev-only store folders: what puppeteer-core alone pulls in, not what the node shares", () => {
  const lock = {
    npm: {
      "hono@4.0.0": {},
      "ws@8.0.0": {},
      "shared@1.0.0": {},
      "string-width@7.2.0": {},
      "string-width@8.3.0": {},
      "chromium-bidi@1.0.0_devtools-protocol@2.0.0": { dependencies: ["devtools-protocol"] },
      "devtools-protocol@2.0.0": {},
      "@puppeteer/browsers@3.0.0": { dependencies: ["string-width@8.3.0"] },
      "puppeteer-core@25.0.0": {
        dependencies: ["ws", "chromium-bidi", "@puppeteer/browsers", "shared"],
      },
      "multicast-dns@7.0.0": { dependencies: ["shared", "string-width@7.2.0"] },
    },
    workspace: {
      dependencies: ["npm:hono@4.0.0", "npm:multicast-dns@7.0.0", "npm:puppeteer-core@25.0.0"],
    },
  };
  assert.deepEqual([...devOnlyStoreDirs(lock)].sort(), [
    "@puppeteer+browsers@3.0.0",
    "chromium-bidi@1.0.0",
    "devtools-protocol@2.0.0",
    "puppeteer-core@25.0.0",
    "string-width@8.3.0",
    "ws@8.0.0",
  ]);
});
