/**
 * Line-oriented reading of byte streams for the harness: child processes'
 * output, the namespace agents' replies and server-sent events.
 * @module
 */

/**
 * The lines of a UTF-8 byte stream, without their "\n" (an unterminated last
 * line is dropped). Aborting `signal` cancels the stream and ends the loop with an error.
 */
export async function* linesOf(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream(), { signal })) {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

/** One server-sent event: its type ("message" unless named) and its JSON data. */
export interface SseEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** The events of a server-sent event stream; blocks without data (keepalive comments) are skipped. */
export async function* sseEventsOf(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  signal?: AbortSignal,
): AsyncGenerator<SseEvent> {
  let type = "message";
  let data = "";
  for await (const line of linesOf(stream, signal)) {
    if (line === "") {
      if (data) yield { type, data: JSON.parse(data) };
      type = "message";
      data = "";
    } else if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
}

/** `deno run SCRIPT ARGS` inside network namespace `ns`, allowed to reach loopback only. */
export function denoInNetns(
  ns: string,
  script: string,
  args: string[],
  stdin: "piped" | "null",
): Deno.ChildProcess {
  return new Deno.Command("ip", {
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
      script,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdin,
    stdout: "piped",
    stderr: "null",
  }).spawn();
}
