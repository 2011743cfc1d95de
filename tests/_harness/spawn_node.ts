/**
 * Runs a real Canopy node as a child process, from source, with exactly the
 * permission flags the compiled binary gets (scripts/permissions.ts), in
 * its own working directory so `./data` is private to it. Ports are 0: the
 * harness reads the real ones from the startup banner.
 * @module
 */
import { nodePermissionFlags } from "../../scripts/permissions.ts";
import { linesOf } from "./lines.ts";

/** Repository root. */
export const REPO = new URL("../../", import.meta.url).pathname;
/** How long a node may take to print "Ready." (ms). */
export const START_DEADLINE_MS = 30_000;

/** Options of `spawnNode`. */
export interface SpawnOptions {
  /** Working directory (default: a fresh temporary one, removed by `cleanup`). */
  readonly dir?: string;
  /** Arguments after `main.ts` (default: serve on loopback, port 0, no discovery). */
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string;
}

/** A running node. */
export interface SpawnedNode {
  readonly dir: string;
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly httpPort: number;
  readonly meshPort: number;
  readonly peerId: string;
  /** Lines the node printed on stdout so far. */
  readonly stdout: string[];
  /** Text the node printed on stderr so far. */
  stderr(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  readonly exited: Promise<Deno.CommandStatus>;
  /** Process id of the node (for memory inspection). */
  readonly pid: number;
}

/** Default serve arguments for tests: loopback only, ephemeral ports. */
export const TEST_SERVE_ARGS = [
  "serve",
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  "--mesh-host",
  "127.0.0.1",
  "--mesh-port",
  "0",
  "--no-discovery",
];

/** The command line that runs `main.ts` like the binary would. */
export async function nodeCommand(args: readonly string[], netns?: string): Promise<string[]> {
  const deno = Deno.execPath();
  const argv = [
    deno,
    "run",
    "--quiet",
    ...(await nodePermissionFlags()),
    "--config",
    `${REPO}deno.json`,
    `${REPO}main.ts`,
    ...args,
  ];
  return netns ? ["ip", "netns", "exec", netns, ...argv] : argv;
}

/** Runs a one-shot canopy command (keys, invite…) and returns its output. */
export async function runCli(
  dir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...rest] = await nodeCommand(args);
  const out = await new Deno.Command(cmd, {
    args: rest,
    cwd: dir,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Starts a node and waits for its banner. */
export async function spawnNode(options: SpawnOptions = {}): Promise<SpawnedNode> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "canopy-node-" });
  const [cmd, ...rest] = await nodeCommand(options.args ?? TEST_SERVE_ARGS, options.netns);
  const child = new Deno.Command(cmd, {
    args: rest,
    cwd: dir,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const stdout: string[] = [];
  let stderr = "";
  const decoder = new TextDecoder();
  let ready!: () => void;
  const readyPromise = new Promise<void>((r) => (ready = r));
  const pumpOut = (async () => {
    for await (const line of linesOf(child.stdout)) {
      stdout.push(line);
      if (line === "Ready.") ready();
    }
  })();
  const pumpErr = (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const exited = child.status.then(async (s) => {
    await Promise.allSettled([pumpOut, pumpErr]);
    return s;
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    readyPromise.then(() => "ready" as const),
    exited.then(() => "exited" as const),
    new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), START_DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    if (outcome === "timeout") child.kill("SIGKILL");
    await exited;
    throw new Error(
      `node did not start (${outcome}):\n${stdout.join("\n")}\n--- stderr ---\n${stderr}`,
    );
  }
  const field = (name: string) => {
    const line = stdout.find((l) => l.trimStart().startsWith(`${name}:`));
    if (!line) throw new Error(`banner has no "${name}" line:\n${stdout.join("\n")}`);
    return line.slice(line.indexOf(":") + 1).trim();
  };
  const baseUrl = field("web UI").replace(/\/$/, "");
  const meshListen = field("mesh listen");
  let stopping: Promise<number> | undefined;
  return {
    dir,
    baseUrl,
    apiUrl: `${baseUrl}/api/v1`,
    httpPort: Number(new URL(baseUrl).port),
    meshPort: Number(meshListen.slice(meshListen.lastIndexOf(":") + 1)),
    peerId: field("peer id"),
    stdout,
    stderr: () => stderr,
    exited,
    pid: child.pid,
    stop(signal: Deno.Signal = "SIGTERM") {
      return stopping ??= (async () => {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
        return (await exited).code;
      })();
    },
  };
}

/** Stops the nodes and removes their directories. */
export async function cleanup(nodes: SpawnedNode[], dirs: string[] = []): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
  for (const dir of [...new Set([...nodes.map((n) => n.dir), ...dirs])]) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
