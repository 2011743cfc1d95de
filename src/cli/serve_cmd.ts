/**
 * `canopy serve`: run the node until SIGINT/SIGTERM, then shut down cleanly.
 * @module
 */
import type { NodeSettings } from "../config/config.ts";
import { CanopyNode } from "../node/node.ts";
import { openLogFile } from "../node/log_file.ts";
import { devicePaths, ensureDeviceDirs } from "../node/paths.ts";
import { resolveDeviceId } from "../node/device_id.ts";
import { isLoopback } from "../mesh/endpoints.ts";
import { createLogger } from "../util/log.ts";
import { promptHidden } from "./prompt.ts";
import { VERSION } from "../version.ts";

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** Runs the node; resolves with the exit code once it has stopped. */
export async function runServe(
  settings: NodeSettings,
  out: (line: string) => void,
): Promise<number> {
  const paths = devicePaths(settings.dataDir, resolveDeviceId(settings.deviceId));
  await ensureDeviceDirs(paths);
  const logFile = openLogFile(paths.logFile);
  const encoder = new TextEncoder();
  const log = createLogger(settings.logLevel, [
    (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
    (line) => logFile.write(line),
  ]);
  let node: CanopyNode | undefined;
  try {
    const offset = settings.clockOffsetMs;
    node = await CanopyNode.open(settings, {
      log,
      now: offset === 0 ? undefined : () => Date.now() + offset,
      askPassphrase: () => promptHidden("Passphrase for peer_identity.json: "),
    });
    const { http, mesh } = node.start();
    const base = `http://${urlHost(http.hostname)}:${http.port}`;
    out(`Canopy ${VERSION}`);
    out(`  peer id:      ${node.identity.peerId}`);
    out(`  fingerprint:  ${node.identity.fingerprint}`);
    out(`  device id:    ${node.deviceId}`);
    out(`  data:         ${paths.deviceDir}`);
    out(`  web UI:       ${base}/`);
    out(`  REST API:     ${base}/api/v1`);
    out(`  mesh listen:  ${mesh.hostname}:${mesh.port}`);
    for (const ep of node.endpoints()) out(`  mesh endpoint: ${ep}`);
    out(`  relay policy: ${node.relayPolicy}`);
    if (node.needsSetup()) {
      out(`  setup:        ${base}/setup?token=${node.setupToken}`);
      out(
        isLoopback(http.hostname)
          ? "  Open the setup URL in a browser to create your account."
          : "  Open the setup URL in a browser to create your account (the token is needed from other machines).",
      );
    }
    // Listen for signals before saying Ready, so a stop right after it is clean.
    const stopped = waitForSignal();
    out("Ready.");
    await stopped;
    log.info("shutting down");
    return 0;
  } finally {
    await node?.close();
    log.info("stopped");
    logFile.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : [
      "SIGINT",
      "SIGTERM",
    ];
    const handlers = signals.map((sig) => {
      const h = () => {
        for (const [s, fn] of handlers) Deno.removeSignalListener(s, fn);
        resolve(sig);
      };
      Deno.addSignalListener(sig, h);
      return [sig, h] as const;
    });
  });
}
