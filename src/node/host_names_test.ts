import assert from "node:assert/strict";
import { ownHostNames } from "./host_names.ts";

Deno.test("own host names: --host, --public-host and the machine's name, with .local", () => {
  assert.deepEqual(
    ownHostNames({ host: "0.0.0.0", publicHost: "Canopy.Example.org." }, () => "Box"),
    ["0.0.0.0", "canopy.example.org", "box", "box.local"],
  );
  assert.deepEqual(ownHostNames({ host: "127.0.0.1" }, () => "box.lan"), ["127.0.0.1", "box.lan"]);
  assert.deepEqual(ownHostNames({ host: "127.0.0.1" }, () => undefined), ["127.0.0.1"]);
});
