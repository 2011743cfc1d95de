/**
 * Test support: one HTTP call made from inside a network namespace, for
 * tests whose nodes listen only there (`ip netns exec NS deno run
 * --allow-net=127.0.0.1 _netns_fetch.ts '<json>'`). The argument is
 * `{"url","method"?,"key"?,"body"?}`; the answer, printed as one JSON line,
 * is `{"status","text"}` or `{"error"}`. Use `netnsCall` from the test side.
 * @module
 */

/** What the test asks for. */
export interface NetnsRequest {
  readonly url: string;
  readonly method?: string;
  readonly key?: string;
  readonly body?: unknown;
}

/** What comes back. */
export interface NetnsResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly text: string;
  readonly json: T;
}

const SCRIPT = new URL(import.meta.url).pathname;

/**
 * Runs one request inside namespace `ns` and returns its status and body.
 * Throws when the request itself failed (connection refused and the like).
 */
export async function netnsCall<T = Record<string, unknown>>(
  ns: string,
  request: NetnsRequest,
): Promise<NetnsResponse<T>> {
  const out = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      "--no-lock",
      "--allow-net=127.0.0.1",
      SCRIPT,
      JSON.stringify(request),
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const line = dec.decode(out.stdout).trim().split("\n").pop() ?? "";
  let answer: { status?: number; text?: string; error?: string };
  try {
    answer = JSON.parse(line);
  } catch {
    throw new Error(`netns fetch in ${ns} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  if (answer.error !== undefined) throw new Error(`netns fetch in ${ns}: ${answer.error}`);
  let json: unknown = undefined;
  try {
    json = JSON.parse(answer.text!);
  } catch {
    // not JSON
  }
  return { status: answer.status!, text: answer.text!, json: json as T };
}

if (import.meta.main) {
  const req = JSON.parse(Deno.args[0]) as NetnsRequest;
  const headers: Record<string, string> = {};
  if (req.key) headers["X-API-Key"] = req.key;
  if (req.body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const res = await fetch(req.url, {
      method: req.method ?? (req.body === undefined ? "GET" : "POST"),
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    console.log(JSON.stringify({ status: res.status, text: await res.text() }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  }
}
