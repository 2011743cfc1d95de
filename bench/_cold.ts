/**
 * Helper process of bench/mesh.ts: a bare `Deno.serve` on 127.0.0.1 that
 * reads each request's body and answers a small JSON object — the reference
 * for cold start, idle memory and HTTP round trips.
 *
 *   deno run --allow-net=127.0.0.1 bench/_cold.ts <port>
 * @module
 */
Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.args[0]), onListen: () => {} },
  async (req) => {
    const body = await req.arrayBuffer();
    return Response.json({ success: true, bytes: body.byteLength });
  },
);
