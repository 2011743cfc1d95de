/**
 * HTTP calls into a network namespace through a long-lived agent process
 * running there (tests/_harness/ns_agent.ts).
 * @module
 */
import type { ApiResponse, CallOptions } from "./http.ts";
import { denoInNetns, linesOf } from "./lines.ts";

/** An agent in one namespace. */
export class NsHttp {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<number, (r: { status: number; text: string }) => void>();
  readonly #pump: Promise<void>;
  #id = 0;

  constructor(ns: string) {
    const agent = new URL("./ns_agent.ts", import.meta.url).pathname;
    const child = denoInNetns(ns, agent, [], "piped");
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#pump = (async () => {
      for await (const line of linesOf(child.stdout)) {
        const msg = JSON.parse(line);
        this.#waiting.get(msg.id)?.(msg);
        this.#waiting.delete(msg.id);
      }
    })();
  }

  /** Calls `url` from inside the namespace and reads the whole response. */
  async call<T = Record<string, unknown>>(
    url: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers["X-API-Key"] = options.key;
    let body: string | undefined;
    if (typeof options.body === "string") body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    }
    const id = ++this.#id;
    const answer = new Promise<{ status: number; text: string }>((r) => this.#waiting.set(id, r));
    const method = options.method ?? (body === undefined ? "GET" : "POST");
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify({ id, url, method, headers, body }) + "\n"),
    );
    const { status, text } = await answer;
    if (status === 0) throw new Error(`request from the namespace failed: ${text}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status, headers: new Headers(), json: json as T, text };
  }

  /** Stops the agent. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#child.status;
    await this.#pump.catch(() => {});
  }
}

const agents = new Map<string, NsHttp>();

/** The agent for namespace `ns`, started on first use; `Netns.close()` stops it. */
export function nsHttp(ns: string): NsHttp {
  let agent = agents.get(ns);
  if (!agent) {
    agent = new NsHttp(ns);
    agents.set(ns, agent);
  }
  return agent;
}

/** Stops the agent of `ns`, if one was started. */
export async function closeNsHttp(ns: string): Promise<void> {
  const agent = agents.get(ns);
  agents.delete(ns);
  await agent?.close();
}
