import assert from "node:assert/strict";
import { openLogFile } from "./log_file.ts";
import { createLogger } from "../util/log.ts";

Deno.test("the log file rotates past its size and keeps a bounded number of old files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "canopy-log-" });
  try {
    const path = `${dir}/canopy.log`;
    const file = openLogFile(path, 200, 2);
    const log = createLogger("info", [(line) => file.write(line)], "test", () => new Date(0));
    for (let i = 0; i < 40; i++) log.info(`line ${i}`, { n: i });
    log.debug("hidden");
    file.close();
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["canopy.log", "canopy.log.1", "canopy.log.2"]);
    const current = await Deno.readTextFile(path);
    assert.ok(current.length <= 200);
    assert.match(current, /INFO {2}\[test\] line 39 n=39\n$/);
    assert.ok(!current.includes("hidden"), "below the level");
    for (const n of names) assert.ok((await Deno.stat(`${dir}/${n}`)).size <= 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
