/**
 * canopy: parse config → run the command. See `canopy --help`.
 * @module
 */
import { type Config, ConfigError, ENV_VARS, parseConfig } from "./src/config/config.ts";
import { helpText } from "./src/cli/help.ts";
import { runKeysCommand } from "./src/cli/keys_cmd.ts";
import { runServe } from "./src/cli/serve_cmd.ts";
import { CanopyNode } from "./src/node/node.ts";
import { silentLogger } from "./src/util/log.ts";
import { CanopyError } from "./src/util/errors.ts";
import { PROTOCOL_VERSION, VERSION } from "./src/version.ts";

const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
const err = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

function readEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of ENV_VARS) {
    try {
      env[name] = Deno.env.get(name);
    } catch {
      // not permitted: treat as unset
    }
  }
  return env;
}

async function run(config: Config): Promise<number> {
  const { command, settings } = config;
  switch (command.kind) {
    case "help":
      out(helpText());
      return 0;
    case "version":
      out(`canopy ${VERSION} (mesh protocol ${PROTOCOL_VERSION}, deno ${Deno.version.deno})`);
      return 0;
    case "keys-create":
    case "keys-list":
    case "keys-revoke":
      return await runKeysCommand(command, settings, out);
    case "invite": {
      const node = await CanopyNode.open(settings, { log: silentLogger });
      try {
        const invite = node.invite();
        out(`Invite code of ${invite.peer_id} (endpoints: ${invite.endpoints.join(", ")}):`);
        out(invite.invite_code);
      } finally {
        await node.close();
      }
      return 0;
    }
    case "serve":
      return await runServe(settings, out);
  }
}

/** Runs canopy with `argv`, returning the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    config = parseConfig(argv, readEnv());
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`canopy: ${e.message}`);
      return 2;
    }
    throw e;
  }
  try {
    return await run(config);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      err(
        `canopy: --data-dir ${config.settings.dataDir}: this build may only read and write ` +
          `./data under the directory it was started from; start canopy there, or choose a ` +
          `--data-dir inside ./data (${(e as Error).message})`,
      );
      return 2;
    }
    if (e instanceof CanopyError) {
      err(`canopy: ${e.message}`);
      return 1;
    }
    err(`canopy: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
