/**
 * Runs inside a test's network namespace (`ip netns exec NS deno run ...`)
 * and makes HTTP requests there on the test's behalf: one JSON request per
 * line on stdin, one JSON response per line on stdout. This keeps the test's
 * own namespace free of extra interfaces (which would make a browser running
 * in another test see the network change).
 * @module
 */
import { linesOf } from "./lines.ts";

interface AgentRequest {
  id: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

const encoder = new TextEncoder();

async function answer(req: AgentRequest): Promise<void> {
  let out: Record<string, unknown>;
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    out = { id: req.id, status: res.status, text: await res.text() };
  } catch (e) {
    out = { id: req.id, status: 0, text: String(e) };
  }
  await Deno.stdout.write(encoder.encode(JSON.stringify(out) + "\n"));
}

for await (const line of linesOf(Deno.stdin.readable)) answer(JSON.parse(line));
