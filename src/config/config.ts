/**
 * Command line + environment → one frozen `Config` (SPEC §2). All validation
 * of user-supplied settings lives here; nothing else reads argv or CANOPY_*.
 * @module
 */
import { LOG_LEVELS, type LogLevel } from "../util/log.ts";
import { bareHost, isHost } from "../util/host.ts";
export { LOG_LEVELS, type LogLevel };

/** Relay policies of SPEC §6, from least to most helpful. */
export const RELAY_POLICIES = ["off", "broker_only", "full_relay"] as const;
/** How much this node helps peers that cannot reach each other. */
export type RelayPolicy = typeof RELAY_POLICIES[number];

/** The permissions an API key may hold (SPEC §8). */
export const PERMISSIONS = [
  "READ_MESSAGES",
  "WRITE_MESSAGES",
  "MANAGE_PEERS",
  "MANAGE_KEYS",
] as const;
/** One of `PERMISSIONS`. */
export type Permission = typeof PERMISSIONS[number];
/** What a new key gets when nobody says otherwise: enough for the seed guide's flow. */
export const DEFAULT_KEY_PERMISSIONS: readonly Permission[] = [
  "READ_MESSAGES",
  "WRITE_MESSAGES",
  "MANAGE_PEERS",
];

/** Defaults for every setting (SPEC §2). */
export const DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 7770,
  meshHost: "0.0.0.0",
  meshPort: 7771,
  dataDir: "./data",
  relayPolicy: "broker_only" as RelayPolicy,
  logLevel: "info" as LogLevel,
  discovery: true,
});

/** Settings shared by every command. */
export interface NodeSettings {
  readonly host: string;
  readonly port: number;
  readonly meshHost: string;
  readonly meshPort: number;
  readonly dataDir: string;
  /** The policy to start with. */
  readonly relayPolicy: RelayPolicy;
  /** True when a flag or CANOPY_RELAY_POLICY chose the policy (it then beats the stored one). */
  readonly relayPolicyExplicit: boolean;
  readonly publicHost?: string;
  readonly publicPort?: number;
  readonly discovery: boolean;
  readonly logLevel: LogLevel;
  /** Overrides the machine-derived device id. */
  readonly deviceId?: string;
  /** Encrypts peer_identity.json when set (CANOPY_PASSPHRASE). */
  readonly passphrase?: string;
  /**
   * Shifts this node's clock (CANOPY_CLOCK_OFFSET_MS, a testing aid: proves
   * that nothing depends on clocks agreeing between nodes). Default 0.
   */
  readonly clockOffsetMs: number;
}

/** A parsed command line. */
export type Command =
  | { readonly kind: "serve" }
  | { readonly kind: "version" }
  | { readonly kind: "help" }
  | { readonly kind: "invite" }
  | { readonly kind: "keys-list" }
  | { readonly kind: "keys-revoke"; readonly id: string }
  | {
    readonly kind: "keys-create";
    readonly name: string;
    readonly permissions: readonly Permission[];
    readonly expiresDays?: number;
  };

/** Everything main.ts needs to run one command. */
export interface Config {
  readonly command: Command;
  readonly settings: NodeSettings;
}

/** A bad flag, value or environment variable. `message` is one line for the user. */
export class ConfigError extends Error {
  constructor(readonly flag: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type FlagKind = "string" | "port" | "bool" | "policy" | "level" | "days" | "permissions";

interface FlagSpec {
  readonly key: string;
  readonly kind: FlagKind;
  readonly env?: string;
  /** Commands that accept the flag; absent means every command. */
  readonly only?: readonly string[];
}

/** Every environment variable canopy reads. */
export const ENV_VARS: readonly string[] = [
  "CANOPY_HOST",
  "CANOPY_PORT",
  "CANOPY_MESH_HOST",
  "CANOPY_MESH_PORT",
  "CANOPY_DATA_DIR",
  "CANOPY_RELAY_POLICY",
  "CANOPY_PUBLIC_HOST",
  "CANOPY_PUBLIC_PORT",
  "CANOPY_NO_DISCOVERY",
  "CANOPY_LOG_LEVEL",
  "CANOPY_DEVICE_ID",
  "CANOPY_PASSPHRASE",
  "CANOPY_CLOCK_OFFSET_MS",
];

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  "--host": { key: "host", kind: "string", env: "CANOPY_HOST" },
  "--port": { key: "port", kind: "port", env: "CANOPY_PORT" },
  "--mesh-host": { key: "meshHost", kind: "string", env: "CANOPY_MESH_HOST" },
  "--mesh-port": { key: "meshPort", kind: "port", env: "CANOPY_MESH_PORT" },
  "--data-dir": { key: "dataDir", kind: "string", env: "CANOPY_DATA_DIR" },
  "--relay-policy": { key: "relayPolicy", kind: "policy", env: "CANOPY_RELAY_POLICY" },
  "--public-host": { key: "publicHost", kind: "string", env: "CANOPY_PUBLIC_HOST" },
  "--public-port": { key: "publicPort", kind: "port", env: "CANOPY_PUBLIC_PORT" },
  "--no-discovery": { key: "noDiscovery", kind: "bool", env: "CANOPY_NO_DISCOVERY" },
  "--log-level": { key: "logLevel", kind: "level", env: "CANOPY_LOG_LEVEL" },
  "--device-id": { key: "deviceId", kind: "string", env: "CANOPY_DEVICE_ID" },
  "--name": { key: "name", kind: "string", only: ["keys-create"] },
  "--permissions": { key: "permissions", kind: "permissions", only: ["keys-create"] },
  "--expires-days": { key: "expiresDays", kind: "days", only: ["keys-create"] },
};

function parseValue(flag: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.kind) {
    case "string": {
      const value = raw.trim();
      if (value === "") throw new ConfigError(flag, `${flag}: expected a value, got ""`);
      const isHostKey = spec.key === "host" || spec.key.endsWith("Host");
      if (isHostKey && !isHost(value)) {
        throw new ConfigError(
          flag,
          `${flag}: expected an IP address or host name, got "${raw}"`,
        );
      }
      if (spec.key === "deviceId" && !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
        throw new ConfigError(
          flag,
          `${flag}: expected 1-64 characters from A-Z a-z 0-9 _ -, got "${raw}"`,
        );
      }
      return isHostKey ? bareHost(value) : value;
    }
    case "port": {
      const n = Number(raw);
      if (!/^\d{1,5}$/.test(raw.trim()) || n > 65535) {
        throw new ConfigError(flag, `${flag}: expected a port number 0-65535, got "${raw}"`);
      }
      return n;
    }
    case "bool": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off", ""].includes(v)) return false;
      throw new ConfigError(flag, `${flag}: expected one of 1, true, 0, false, got "${raw}"`);
    }
    case "policy":
      return oneOf(flag, raw, RELAY_POLICIES);
    case "level":
      return oneOf(flag, raw, LOG_LEVELS);
    case "days": {
      const n = Number(raw);
      if (!/^\d{1,5}$/.test(raw.trim()) || n < 1 || n > 36500) {
        throw new ConfigError(
          flag,
          `${flag}: expected a whole number of days 1-36500, got "${raw}"`,
        );
      }
      return n;
    }
    case "permissions":
      return parsePermissions(raw, flag);
  }
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  const v = raw.trim().toLowerCase() as T;
  if (!allowed.includes(v)) {
    throw new ConfigError(flag, `${flag}: expected one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return v;
}

/**
 * Parses a comma-separated permission list (any case), or `all`.
 * Throws `ConfigError` naming `flag` on an unknown permission.
 */
export function parsePermissions(raw: string, flag = "--permissions"): Permission[] {
  const items = raw.split(",").map((s) => s.trim().toUpperCase()).filter((s) => s !== "");
  if (items.length === 1 && items[0] === "ALL") return [...PERMISSIONS];
  if (items.length === 0) {
    throw new ConfigError(flag, `${flag}: expected ${PERMISSIONS.join(",")} or all, got "${raw}"`);
  }
  const out: Permission[] = [];
  for (const item of items) {
    if (!(PERMISSIONS as readonly string[]).includes(item)) {
      throw new ConfigError(
        flag,
        `${flag}: unknown permission "${item}"; expected any of ${PERMISSIONS.join(", ")} or all`,
      );
    }
    if (!out.includes(item as Permission)) out.push(item as Permission);
  }
  return out;
}

function commandOf(positional: string[]): string {
  const [first, second, ...rest] = positional;
  if (first === undefined || first === "serve") {
    if (second !== undefined) throw new ConfigError(second, unexpected(second));
    return "serve";
  }
  if (first === "invite") {
    if (second !== undefined) throw new ConfigError(second, unexpected(second));
    return "invite";
  }
  if (first === "keys") {
    if (second === "create" || second === "list") {
      if (rest.length > 0) throw new ConfigError(rest[0], unexpected(rest[0]));
      return `keys-${second}`;
    }
    if (second === "revoke") {
      if (rest.length !== 1) {
        throw new ConfigError(
          "keys revoke",
          "keys revoke: expected one key id, e.g. canopy keys revoke k_3f2a…",
        );
      }
      return "keys-revoke";
    }
    throw new ConfigError(
      "keys",
      `keys: expected one of create, list, revoke, got ${
        second === undefined ? "nothing" : `"${second}"`
      }`,
    );
  }
  throw new ConfigError(
    first,
    `unknown command "${first}"; expected one of serve, keys, invite (see --help)`,
  );
}

function unexpected(arg: string): string {
  return `unexpected argument "${arg}" (see --help)`;
}

/**
 * Parses argv and environment into a frozen `Config`. Flags win over the
 * environment; only `CANOPY_*` variables are read. Throws `ConfigError`.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  if (argv.includes("--help") || argv.includes("-h")) return freeze({ kind: "help" }, env, {});
  if (argv.includes("--version") || argv.includes("-V")) {
    return freeze({ kind: "version" }, env, {});
  }
  const positional: string[] = [];
  const fromFlags: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[flag];
    if (!spec) throw new ConfigError(flag, `unknown flag ${flag} (see --help)`);
    let raw: string;
    if (spec.kind === "bool") {
      raw = eq >= 0 ? arg.slice(eq + 1) : "true";
    } else if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
        throw new ConfigError(flag, `${flag}: missing value`);
      }
      raw = argv[++i];
    }
    fromFlags[spec.key] = parseValue(flag, spec, raw);
    fromFlags[`${spec.key}:flag`] = flag;
  }
  const kind = commandOf(positional);
  for (const [flag, spec] of Object.entries(FLAGS)) {
    if (spec.only && !spec.only.includes(kind) && fromFlags[spec.key] !== undefined) {
      throw new ConfigError(
        flag,
        `${flag} only applies to: ${spec.only.join(", ").replace("-", " ")}`,
      );
    }
  }
  let command: Command;
  if (kind === "keys-create") {
    const name = fromFlags.name as string | undefined;
    if (!name) {
      throw new ConfigError("--name", "keys create: --name is required, e.g. --name my-script");
    }
    if (name.length > 100) throw new ConfigError("--name", "--name: at most 100 characters");
    command = {
      kind,
      name,
      permissions: (fromFlags.permissions as Permission[] | undefined) ??
        [...DEFAULT_KEY_PERMISSIONS],
      expiresDays: fromFlags.expiresDays as number | undefined,
    };
  } else if (kind === "keys-revoke") {
    command = { kind, id: positional[2] };
  } else {
    command = { kind } as Command;
  }
  return freeze(command, env, fromFlags);
}

function freeze(
  command: Command,
  env: Readonly<Record<string, string | undefined>>,
  fromFlags: Record<string, unknown>,
): Config {
  const fromEnv: Record<string, unknown> = {};
  for (const spec of Object.values(FLAGS)) {
    if (!spec.env) continue;
    const raw = env[spec.env];
    if (raw === undefined || fromFlags[spec.key] !== undefined) continue;
    fromEnv[spec.key] = parseValue(spec.env, spec, raw);
  }
  const pick = <T>(key: string, fallback: T): T =>
    (fromFlags[key] ?? fromEnv[key] ?? fallback) as T;
  const passphrase = env.CANOPY_PASSPHRASE;
  const offset = env.CANOPY_CLOCK_OFFSET_MS;
  if (offset !== undefined && !/^-?\d{1,12}$/.test(offset.trim())) {
    throw new ConfigError(
      "CANOPY_CLOCK_OFFSET_MS",
      `CANOPY_CLOCK_OFFSET_MS: expected a whole number of milliseconds, got "${offset}"`,
    );
  }
  const settings: NodeSettings = {
    host: pick("host", DEFAULTS.host),
    port: pick("port", DEFAULTS.port),
    meshHost: pick("meshHost", DEFAULTS.meshHost),
    meshPort: pick("meshPort", DEFAULTS.meshPort),
    dataDir: pick("dataDir", DEFAULTS.dataDir),
    relayPolicy: pick("relayPolicy", DEFAULTS.relayPolicy),
    relayPolicyExplicit: fromFlags.relayPolicy !== undefined || fromEnv.relayPolicy !== undefined,
    publicHost: pick<string | undefined>("publicHost", undefined),
    publicPort: pick<number | undefined>("publicPort", undefined),
    discovery: !pick("noDiscovery", false),
    logLevel: pick("logLevel", DEFAULTS.logLevel),
    deviceId: pick<string | undefined>("deviceId", undefined),
    passphrase: passphrase === undefined || passphrase === "" ? undefined : passphrase,
    clockOffsetMs: offset === undefined ? 0 : Number(offset.trim()),
  };
  return Object.freeze({ command: Object.freeze(command), settings: Object.freeze(settings) });
}
