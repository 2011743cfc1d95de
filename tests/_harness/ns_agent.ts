/**
 * Runs inside a test's network namespace (`ip netns exec NS deno run ...`)
 * and makes HTTP requests there on the test's behalf: one JSON request per
 * line on stdin, one JSON response per line on stdout. This keeps the test's
 * own namespace free of extra interfaces (which would make a browser running
 * in another test see the network change).
 * @module
 */
const encoder = new TextEncoder();
let buf = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const req = JSON.parse(line) as {
      id: number;
      url: string;
      method: string;
      headers: Record<string, string>;
      body?: string;
    };
    (async () => {
      let out: Record<string, unknown>;
      try {
        const res = await fetch(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
        });
        out = { id: req.id, status: res.status, text: await res.text() };
      } catch (e) {
        out = { id: req.id, status: 0, text: String(e) };
      }
      await Deno.stdout.write(encoder.encode(JSON.stringify(out) + "\n"));
    })();
  }
}
