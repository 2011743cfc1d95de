/**
 * `deno task bench [name…]`: runs the benchmarks and prints their figures.
 * Benchmarks are not tests: nothing here asserts a timing.
 * Names: crypto, ws, mesh, catchup. No name runs all of them.
 * @module
 */
import { formatTable, runCryptoBench } from "./crypto.ts";
import { formatMeshTable, runMeshBench } from "./mesh.ts";
import { formatCatchup, runCatchupBench } from "./catchup.ts";
import { formatWsTable, runWsBench } from "./ws.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  crypto: async () => {
    console.log("## crypto: @noble vs WebCrypto (ops/s, higher is better)\n");
    console.log(formatTable(await runCryptoBench()));
  },
  ws: async () => {
    console.log("## ws: src/mesh/ws against Deno's WebSocket, one way on loopback\n");
    console.log(formatWsTable(await runWsBench()));
  },
  mesh: async () => {
    console.log("## mesh: two node processes on loopback, REST send → stored on the peer\n");
    console.log(formatMeshTable(await runMeshBench()));
  },
  catchup: async () => {
    console.log("## catchup: a returning node applies 100,000 missed channel messages\n");
    console.log(formatCatchup(await runCatchupBench()));
  },
};

const wanted = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.target}\n`);
for (const name of wanted) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(
      `unknown benchmark "${name}"; expected one of ${Object.keys(BENCHES).join(", ")}`,
    );
    Deno.exit(2);
  }
  await bench();
  console.log();
}
