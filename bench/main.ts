/**
 * `deno task bench [name…]`: runs the benchmarks and prints their figures.
 * Benchmarks are not tests: nothing here asserts a timing.
 * Names: crypto, mesh (more join as the mesh grows). No name runs all of them.
 * @module
 */
import { formatTable, runCryptoBench } from "./crypto.ts";
import { formatMeshTable, runMeshBench } from "./mesh.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  crypto: async () => {
    console.log("## crypto: @noble vs WebCrypto (ops/s, higher is better)\n");
    console.log(formatTable(await runCryptoBench()));
  },
  mesh: async () => {
    console.log("## mesh: two node processes on loopback, REST send → stored on the peer\n");
    console.log(formatMeshTable(await runMeshBench()));
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
