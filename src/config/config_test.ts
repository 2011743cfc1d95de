import assert from "node:assert/strict";
import { ConfigError, DEFAULTS, parseConfig } from "./config.ts";

const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(argv, env);

function rejects(argv: string[], env: Record<string, string>, flag: string, pattern: RegExp) {
  assert.throws(() => parse(argv, env), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.flag, flag);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

Deno.test("no arguments: serve with the defaults of SPEC §2", () => {
  const { command, settings } = parse([]);
  assert.deepEqual(command, { kind: "serve" });
  assert.equal(settings.host, "127.0.0.1");
  assert.equal(settings.port, 7770);
  assert.equal(settings.meshHost, "0.0.0.0");
  assert.equal(settings.meshPort, 7771);
  assert.equal(settings.dataDir, "./data");
  assert.equal(settings.relayPolicy, "broker_only");
  assert.equal(settings.relayPolicyExplicit, false);
  assert.equal(settings.discovery, true);
  assert.equal(settings.logLevel, "info");
  assert.equal(settings.publicHost, undefined);
  assert.equal(settings.deviceId, undefined);
  assert.ok(Object.isFrozen(settings));
  assert.equal(DEFAULTS.port, 7770);
});

Deno.test("every flag, in both --flag value and --flag=value forms", () => {
  const argv = [
    "serve",
    "--host",
    "0.0.0.0",
    "--port=8080",
    "--mesh-host",
    "::",
    "--mesh-port",
    "9091",
    "--data-dir",
    "/tmp/x",
    "--relay-policy=FULL_RELAY",
    "--public-host",
    "198.51.100.1",
    "--public-port=7000",
    "--no-discovery",
    "--log-level",
    "debug",
    "--device-id",
    "laptop-1",
  ];
  const { command, settings } = parse(argv);
  assert.equal(command.kind, "serve");
  assert.deepEqual(
    { ...settings },
    {
      host: "0.0.0.0",
      port: 8080,
      meshHost: "::",
      meshPort: 9091,
      dataDir: "/tmp/x",
      relayPolicy: "full_relay",
      relayPolicyExplicit: true,
      publicHost: "198.51.100.1",
      publicPort: 7000,
      discovery: false,
      logLevel: "debug",
      deviceId: "laptop-1",
      passphrase: undefined,
      clockOffsetMs: 0,
    },
  );
  assert.equal(parse(["--port", "0"]).settings.port, 0);
  assert.equal(parse(["--host", "[::1]"]).settings.host, "::1");
  assert.equal(parse(["--no-discovery=false"]).settings.discovery, true);
});

Deno.test("environment variables apply, and flags win over them", () => {
  const env = {
    CANOPY_HOST: "0.0.0.0",
    CANOPY_PORT: "8000",
    CANOPY_MESH_HOST: "127.0.0.1",
    CANOPY_MESH_PORT: "8001",
    CANOPY_DATA_DIR: "./data/env",
    CANOPY_RELAY_POLICY: "off",
    CANOPY_LOG_LEVEL: "warn",
    CANOPY_DEVICE_ID: "from-env",
    CANOPY_NO_DISCOVERY: "1",
    CANOPY_PUBLIC_HOST: "example.org",
    CANOPY_PUBLIC_PORT: "443",
    CANOPY_PASSPHRASE: "correct horse",
    HOME: "/ignored",
  };
  const fromEnv = parse([], env).settings;
  assert.equal(fromEnv.host, "0.0.0.0");
  assert.equal(fromEnv.port, 8000);
  assert.equal(fromEnv.meshHost, "127.0.0.1");
  assert.equal(fromEnv.meshPort, 8001);
  assert.equal(fromEnv.dataDir, "./data/env");
  assert.equal(fromEnv.relayPolicy, "off");
  assert.equal(fromEnv.relayPolicyExplicit, true);
  assert.equal(fromEnv.logLevel, "warn");
  assert.equal(fromEnv.deviceId, "from-env");
  assert.equal(fromEnv.discovery, false);
  assert.equal(fromEnv.publicHost, "example.org");
  assert.equal(fromEnv.publicPort, 443);
  assert.equal(fromEnv.passphrase, "correct horse");

  const flagsWin = parse(
    ["--port", "9000", "--relay-policy", "full_relay", "--data-dir", "./data/flag"],
    env,
  ).settings;
  assert.equal(flagsWin.port, 9000);
  assert.equal(flagsWin.relayPolicy, "full_relay");
  assert.equal(flagsWin.dataDir, "./data/flag");
  assert.equal(flagsWin.host, "0.0.0.0", "unflagged settings still come from the environment");
  // A bad env value is ignored when a flag overrides it.
  assert.equal(parse(["--port", "1"], { CANOPY_PORT: "nope" }).settings.port, 1);
});

Deno.test("each invalid value names its flag and the allowed values", () => {
  rejects(["--port", "70000"], {}, "--port", /--port: expected a port number 0-65535, got "70000"/);
  rejects(["--port", "abc"], {}, "--port", /0-65535/);
  rejects(["--mesh-port", "-1"], {}, "--mesh-port", /expected a port number 0-65535, got "-1"/);
  rejects(["--mesh-port=1.5"], {}, "--mesh-port", /0-65535/);
  rejects(["--public-port", "x"], {}, "--public-port", /0-65535/);
  rejects(
    ["--relay-policy", "sometimes"],
    {},
    "--relay-policy",
    /expected one of off, broker_only, full_relay, got "sometimes"/,
  );
  rejects(["--log-level", "loud"], {}, "--log-level", /expected one of debug, info, warn, error/);
  rejects(["--host", "bad host!"], {}, "--host", /IP address or host name/);
  rejects(["--mesh-host", "999.1.1.1"], {}, "--mesh-host", /IP address or host name/);
  rejects(["--public-host", ""], {}, "--public-host", /expected a value/);
  rejects(["--data-dir"], {}, "--data-dir", /missing value/);
  rejects(["--device-id", "a/b"], {}, "--device-id", /A-Z a-z 0-9/);
  rejects(["--no-discovery=maybe"], {}, "--no-discovery", /1, true, 0, false/);
  rejects(["--frobnicate"], {}, "--frobnicate", /unknown flag --frobnicate/);
  rejects(
    ["launch"],
    {},
    "launch",
    /unknown command "launch"; expected one of serve, keys, invite/,
  );
  rejects(["serve", "extra"], {}, "extra", /unexpected argument/);
  rejects(["--name", "x"], {}, "--name", /only applies to: keys create/);
});

Deno.test("each invalid environment value names its variable", () => {
  rejects([], { CANOPY_PORT: "99999" }, "CANOPY_PORT", /CANOPY_PORT: expected a port number/);
  rejects([], { CANOPY_MESH_PORT: "x" }, "CANOPY_MESH_PORT", /port number/);
  rejects(
    [],
    { CANOPY_RELAY_POLICY: "all" },
    "CANOPY_RELAY_POLICY",
    /off, broker_only, full_relay/,
  );
  rejects([], { CANOPY_LOG_LEVEL: "trace" }, "CANOPY_LOG_LEVEL", /debug, info, warn, error/);
  rejects([], { CANOPY_HOST: "a b" }, "CANOPY_HOST", /host name/);
  rejects([], { CANOPY_NO_DISCOVERY: "sure" }, "CANOPY_NO_DISCOVERY", /true/);
  rejects([], { CANOPY_DEVICE_ID: "../x" }, "CANOPY_DEVICE_ID", /A-Z/);
  rejects([], { CANOPY_CLOCK_OFFSET_MS: "3h" }, "CANOPY_CLOCK_OFFSET_MS", /milliseconds/);
  assert.equal(parse([], { CANOPY_CLOCK_OFFSET_MS: "-7200000" }).settings.clockOffsetMs, -7200000);
});

Deno.test("keys and invite commands", () => {
  assert.deepEqual(parse(["keys", "create", "--name", "bot"]).command, {
    kind: "keys-create",
    name: "bot",
    permissions: ["READ_MESSAGES", "WRITE_MESSAGES", "MANAGE_PEERS"],
    expiresDays: undefined,
  });
  assert.deepEqual(
    parse(["keys", "create", "--name=ops", "--permissions", "all", "--expires-days", "30"]).command,
    {
      kind: "keys-create",
      name: "ops",
      permissions: ["READ_MESSAGES", "WRITE_MESSAGES", "MANAGE_PEERS", "MANAGE_KEYS"],
      expiresDays: 30,
    },
  );
  const lower = parse([
    "keys",
    "create",
    "--name",
    "r",
    "--permissions",
    "read_messages,Manage_Keys",
  ]);
  assert.deepEqual(
    (lower.command as { permissions: readonly string[] }).permissions,
    ["READ_MESSAGES", "MANAGE_KEYS"],
  );
  assert.deepEqual(parse(["keys", "list"]).command, { kind: "keys-list" });
  assert.deepEqual(parse(["keys", "revoke", "abc"]).command, { kind: "keys-revoke", id: "abc" });
  assert.deepEqual(parse(["invite", "--public-host", "10.0.0.2"]).command, { kind: "invite" });
  assert.equal(parse(["invite", "--public-host", "10.0.0.2"]).settings.publicHost, "10.0.0.2");
  assert.equal(parse(["--version"]).command.kind, "version");
  assert.equal(parse(["keys", "--help"]).command.kind, "help");

  rejects(["keys", "create"], {}, "--name", /--name is required/);
  rejects(
    ["keys", "create", "--name", "x", "--permissions", "ROOT"],
    {},
    "--permissions",
    /unknown permission "ROOT"/,
  );
  rejects(
    ["keys", "create", "--name", "x", "--expires-days", "0"],
    {},
    "--expires-days",
    /1-36500/,
  );
  rejects(["keys", "revoke"], {}, "keys revoke", /expected one key id/);
  rejects(["keys", "rotate"], {}, "keys", /expected one of create, list, revoke, got "rotate"/);
  rejects(["keys"], {}, "keys", /got nothing/);
});
