/**
 * Several real nodes for multi-process tests, each with an all-permission
 * API key, plus the guide's calls as functions.
 * @module
 */
import assert from "node:assert/strict";
import { call } from "./http.ts";
import {
  runCli,
  type SpawnedNode,
  spawnNode,
  type SpawnOptions,
  TEST_SERVE_ARGS,
} from "./spawn_node.ts";

/** A node with its admin key and the arguments it was started with. */
export interface TestNode extends SpawnedNode {
  readonly key: string;
  readonly args: readonly string[];
}

/** A TCP port that was free a moment ago (for nodes that must keep their port across restarts). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Test serve arguments with a fixed mesh port and extra flags. */
export function serveArgs(meshPort = 0, ...extra: string[]): string[] {
  const args = [...TEST_SERVE_ARGS];
  args[args.indexOf("--mesh-port") + 1] = String(meshPort);
  return [...args, ...extra];
}

/**
 * Serve arguments for a node in a test namespace: HTTP on the namespace's
 * loopback, the mesh on `meshHost` (every interface unless told), LAN
 * discovery only when asked.
 */
export function netnsServeArgs(
  { meshHost = "0.0.0.0", discovery = false }: { meshHost?: string; discovery?: boolean } = {},
  ...extra: string[]
): string[] {
  const args = serveArgs(0, ...extra);
  args[args.indexOf("--mesh-host") + 1] = meshHost;
  return discovery ? args.filter((a) => a !== "--no-discovery") : args;
}

/** Creates an all-permission key in `dir` (works with or without a running node). */
export async function adminKey(dir: string, extra: string[] = []): Promise<string> {
  const out = await runCli(dir, [
    "keys",
    "create",
    "--name",
    "test-admin",
    "--permissions",
    "all",
    ...extra,
  ]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trimEnd().split("\n").pop()!;
}

/** Starts a node (optionally reusing a directory and key). */
export async function startNode(options: SpawnOptions & { key?: string } = {}): Promise<TestNode> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "canopy-node-" });
  const key = options.key ?? await adminKey(dir);
  const args = options.args ?? TEST_SERVE_ARGS;
  const node = await spawnNode({ ...options, dir, args });
  return Object.assign(node, { key, args });
}

/**
 * Starts `count` fresh nodes one after another, adding each to `into` (for
 * cleanup) as it comes up; `args` gives each its serve arguments.
 */
export async function startNodes(
  into: SpawnedNode[],
  count: number,
  args: () => readonly string[] = () => TEST_SERVE_ARGS,
): Promise<TestNode[]> {
  const started: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = await startNode({ args: [...args()] });
    into.push(node);
    started.push(node);
  }
  return started;
}

/** Serve arguments with a mesh port of its own, kept across restarts (so peers can redial it). */
export const fixedMeshPort = () => serveArgs(freePort());

/** Stops a node (SIGTERM unless told) and starts it again on the same data, key and ports. */
export async function restartNode(
  node: TestNode,
  signal: Deno.Signal = "SIGTERM",
): Promise<TestNode> {
  await node.stop(signal);
  return await startNode({ dir: node.dir, key: node.key, args: node.args });
}

/** GET/POST on a node's API with its key. */
export function api<T = Record<string, unknown>>(node: TestNode, path: string, body?: unknown) {
  return call<T>(`${node.apiUrl}${path}`, { key: node.key, body });
}

/** A node's invite code. */
export async function inviteOf(node: TestNode, query = ""): Promise<string> {
  const res = await api<{ invite_code: string }>(node, `/p2p/invite${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json.invite_code;
}

/** Imports `from`'s invite on `on`; returns the response body. */
export async function importInvite(on: TestNode, from: TestNode): Promise<Record<string, unknown>> {
  const res = await api(on, "/p2p/invite/import", { invite_code: await inviteOf(from) });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** Links two nodes both ways, as the guide does. */
export async function link(a: TestNode, b: TestNode): Promise<void> {
  assert.equal((await importInvite(b, a)).status, "connected");
  assert.equal((await importInvite(a, b)).status, "connected");
}

/** A message as the API lists it. */
export interface Msg {
  id: string;
  type: string;
  origin: string;
  outgoing: boolean;
  peer_id: string | null;
  content: string;
  state: string;
  seq: number;
  from_pending_peer: boolean;
}

/** Messages of a node (newest first). */
export async function messages(node: TestNode, query = ""): Promise<Msg[]> {
  const res = await api<{ messages: Msg[] }>(node, `/messages${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json.messages;
}

/** Sends a direct message; returns the response. */
export async function sendDirect(from: TestNode, to: string, content: string) {
  const res = await api(from, "/p2p/send", { content, peer_id: to });
  assert.equal(res.status, 200, res.text);
  return res.json as { success: boolean; message_id: string; state: string };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}

/** Every message matching `query` (e.g. "?type=broadcast") across all pages, newest first. */
export async function allMessages(node: TestNode, query = "", path = "/messages"): Promise<Msg[]> {
  const out: Msg[] = [];
  const params = new URLSearchParams(query.replace(/^\?/, ""));
  params.set("limit", "500");
  for (let page = 0; page < 10_000; page++) {
    const res = await api<{ messages: Msg[]; next_cursor: number | null }>(
      node,
      `${path}?${params}`,
    );
    assert.equal(res.status, 200, res.text);
    out.push(...res.json.messages);
    if (res.json.next_cursor === null) return out;
    params.set("cursor", String(res.json.next_cursor));
  }
  throw new Error("too many pages");
}

/** Runs `count` jobs with at most `concurrency` at a time; each gets its index. */
export async function pool(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await job(next++);
  }));
}

/** Sends through the API, waiting and retrying when the node answers 429. */
export async function sendWithRetry(
  node: TestNode,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await api(node, path, body);
    if (res.status !== 429) {
      assert.ok(res.status === 200 || res.status === 201, res.text);
      return res.json;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path}: still 429 after 200 attempts`);
}
