/**
 * LAN discovery (SPEC §7) between real node processes on a LAN made of
 * network namespaces: a bridge in a namespace of its own, hosts plugged into
 * it by veth pairs on 10.78.5x.0/24 (a /24 that exists only inside them), and
 * a multicast route on each veth — mDNS never reaches the host's network.
 * The test process is outside the namespaces, so API calls and event streams
 * run inside them (`tests/_harness/ns_http.ts`, `_netns_events.ts`). A standard
 * third-party DNS-SD implementation (Debian's python3-zeroconf) browses and
 * forges announcements on the same LAN.
 */
import assert from "node:assert/strict";
import { decodeInvite } from "../../src/identity/invite.ts";
import { peerIdOf } from "../../src/identity/peer_id.ts";
import { toBase58 } from "../../src/util/base58.ts";
import { netnsServeArgs, startNode, type TestNode, waitFor } from "../_harness/cluster.ts";
import { Netns, netnsAvailable } from "../_harness/netns.ts";
import { cleanup } from "../_harness/spawn_node.ts";
import type { ApiResponse } from "../_harness/http.ts";
import { nsHttp } from "../_harness/ns_http.ts";
import { netnsEvents } from "./_netns_events.ts";

/** The bound: each node discovers the others within this (ms). */
const DISCOVERY_DEADLINE_MS = 5_000;
/** Bound for other waits on the LAN (goodbye, restart, forged announcement), ms. */
const WAIT_MS = 10_000;
/** Debian's python, which has python3-zeroconf (not a pyenv shim on PATH). */
const PYTHON = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url).pathname;

/** Serve arguments on a LAN host: HTTP on the namespace's loopback, mesh on all, discovery on. */
const LAN_ARGS = netnsServeArgs({ discovery: true });

/** A node on the LAN. */
interface Host {
  readonly node: TestNode;
  readonly ns: string;
  readonly addr: string;
}

/** What `/p2p/peers` lists under `discovered_peers`. */
interface Discovered {
  peer_id: string;
  address: string;
  port: number;
  connected: boolean;
  name: string;
  endpoints: string[];
  last_seen: string;
  keys_match: boolean;
}

/** A bridge namespace and one host namespace per address; returns the host namespaces. */
async function lan(net: Netns, subnet: string, count: number): Promise<string[]> {
  const bridge = await net.bridge("lan");
  const hosts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const ns = await net.host(`h${i}`);
    await net.attach(bridge, ns, `${subnet}.${i}/24`);
    hosts.push(ns);
  }
  return hosts;
}

function api<T = Record<string, unknown>>(
  host: Host,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  return nsHttp(host.ns).call<T>(`${host.node.apiUrl}${path}`, { key: host.node.key, body });
}

async function ok<T = Record<string, unknown>>(host: Host, path: string, body?: unknown) {
  const res = await api<T>(host, path, body);
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  return res.json;
}

async function discovered(host: Host): Promise<Discovered[]> {
  const res = await ok<{ discovered_peers: Discovered[]; total_discovered: number }>(
    host,
    "/p2p/peers",
  );
  assert.equal(res.total_discovered, res.discovered_peers.length);
  return res.discovered_peers;
}

const sorted = (ids: string[]) => [...ids].sort();

/** Waits until every host lists exactly the peer ids `expected(host)` as discovered. */
function allDiscover(hosts: Host[], expected: (h: Host) => string[], timeoutMs: number) {
  return waitFor(
    "every node to list the others as discovered",
    async () => {
      const lists = await Promise.all(hosts.map(discovered));
      return hosts.every((h, i) =>
        sorted(lists[i].map((d) => d.peer_id)).join() === sorted(expected(h)).join()
      );
    },
    timeoutMs,
    100,
  );
}

async function startOn(
  ns: string,
  addr: string,
  extra: { dir?: string; key?: string; env?: Record<string, string> } = {},
): Promise<Host> {
  const node = await startNode({ netns: ns, args: LAN_ARGS, ...extra });
  return { node, ns, addr };
}

/** True when Debian's python3 can import zeroconf (CI installs python3-zeroconf). */
async function zeroconfAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", "import zeroconf"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) return true;
  } catch {
    // no python at all
  }
  if (Deno.env.get("CI_REQUIRE_NETNS") === "1") {
    throw new Error(`${PYTHON} cannot import zeroconf; install python3-zeroconf`);
  }
  return false;
}

const netns = await netnsAvailable();

Deno.test({
  name:
    "LAN of three namespaces: each node discovers the other two within 5 s, connects from the list, and a stopped node disappears after its goodbye",
  ignore: !netns,
  async fn(t) {
    const net = new Netns();
    const nodes: TestNode[] = [];
    let follower: Awaited<ReturnType<typeof netnsEvents>> | undefined;
    try {
      const subnet = "10.78.51";
      const [nsA, nsB, nsC] = await lan(net, subnet, 3);
      const [a, b, c] = await Promise.all([
        startOn(nsA, `${subnet}.1`),
        startOn(nsB, `${subnet}.2`),
        startOn(nsC, `${subnet}.3`),
      ]);
      nodes.push(a.node, b.node, c.node);
      const hosts = [a, b, c];
      const others = (h: Host) => hosts.filter((o) => o !== h).map((o) => o.node.peerId);

      await t.step("each node discovers the other two within 5 s", async () => {
        await allDiscover(hosts, others, DISCOVERY_DEADLINE_MS);
      });

      await t.step(
        "discovered entries carry 0.4's fields, the real address and mesh port",
        async () => {
          for (const h of hosts) {
            for (const d of await discovered(h)) {
              const other = hosts.find((o) => o.node.peerId === d.peer_id)!;
              assert.equal(d.address, other.addr);
              assert.equal(d.port, other.node.meshPort);
              assert.equal(d.connected, false);
              assert.deepEqual(d.endpoints, [`ws://${other.addr}:${other.node.meshPort}`]);
              assert.match(d.name, new RegExp(`-${d.peer_id.slice(0, 6)}$`));
              assert.equal(d.keys_match, true);
              assert.ok(!Number.isNaN(Date.parse(d.last_seen)));
            }
          }
        },
      );

      await t.step("connecting from the discovered list goes through the handshake", async () => {
        const res = await ok(a, "/p2p/connect_discovered", { peer_id: b.node.peerId });
        assert.equal(res.status, "connected", JSON.stringify(res));
        assert.equal(res.connected_endpoint, `ws://${b.addr}:${b.node.meshPort}`);
        const peers = await ok<{ peers: { peer_id: string; source: string; state: string }[] }>(
          a,
          "/p2p/peers",
        );
        const peer = peers.peers.find((p) => p.peer_id === b.node.peerId)!;
        assert.equal(peer.source, "discovered");
        assert.equal(peer.state, "connected");
        const entry = (await discovered(a)).find((d) => d.peer_id === b.node.peerId)!;
        assert.equal(entry.connected, true);
        const unknown = await api(a, "/p2p/connect_discovered", { peer_id: "1111111111111111" });
        assert.equal(unknown.status, 404, unknown.text);
      });

      await t.step(
        "a stopped node says goodbye: gone from the lists and a peer_lost event",
        async () => {
          follower = await netnsEvents(a.ns, {
            url: a.node.apiUrl,
            key: a.node.key,
            timeoutMs: 60_000,
          });
          assert.equal(await c.node.stop("SIGTERM"), 0);
          const lost = await follower.waitFor(
            "peer_lost",
            (e) => e.type === "peer_lost" && e.data.peer_id === c.node.peerId,
            WAIT_MS,
          );
          assert.equal(lost.data.reason, "goodbye");
          await allDiscover([a, b], (h) => h === a ? [b.node.peerId] : [a.node.peerId], WAIT_MS);
        },
      );

      await t.step(
        "the restarted node counts as a fresh announcement (peer_discovered)",
        async () => {
          const again = await startOn(c.ns, c.addr, { dir: c.node.dir, key: c.node.key });
          nodes.push(again.node);
          const ev = await follower!.waitFor(
            "peer_discovered",
            (e) =>
              e.type === "peer_discovered" &&
              (e.data.peer as { peer_id: string }).peer_id === c.node.peerId,
            WAIT_MS,
          );
          assert.equal(ev.data.change, "new");
          assert.equal((ev.data.peer as { port: number }).port, again.node.meshPort);
        },
      );
    } finally {
      await follower?.close();
      await cleanup(nodes);
      await net.close();
    }
  },
});

Deno.test({
  name:
    "a standard browser (python3-zeroconf) sees the service and its TXT records; a forged announcement is listed but refused at the handshake",
  ignore: !netns || !(await zeroconfAvailable()),
  async fn(t) {
    const net = new Netns();
    const nodes: TestNode[] = [];
    let announcer: Deno.ChildProcess | undefined;
    try {
      const subnet = "10.78.52";
      const [nsA, nsB] = await lan(net, subnet, 2);
      const [a, b] = await Promise.all([startOn(nsA, `${subnet}.1`), startOn(nsB, `${subnet}.2`)]);
      nodes.push(a.node, b.node);
      await allDiscover([a, b], (h) => [h === a ? b.node.peerId : a.node.peerId], WAIT_MS);

      await t.step(
        "python3-zeroconf, beside node B in its namespace, resolves both nodes",
        async () => {
          const out = await new Deno.Command("ip", {
            args: ["netns", "exec", nsB, PYTHON, `${HERE}_zeroconf_browse.py`, b.addr, "3"],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const dec = new TextDecoder();
          assert.ok(out.success, dec.decode(out.stderr));
          const found = JSON.parse(dec.decode(out.stdout).trim().split("\n").pop()!) as {
            name: string;
            port: number;
            addresses: string[];
            txt: Record<string, string>;
          }[];
          for (const host of [a, b]) {
            const invite = decodeInvite(
              (await ok<{ invite_code: string }>(host, "/p2p/invite")).invite_code,
            );
            const svc = found.find((s) => s.txt.pid === host.node.peerId);
            assert.ok(svc, `${host.node.peerId} not in ${JSON.stringify(found)}`);
            assert.match(svc.name, /\._canopy\._tcp\.local\.$/);
            assert.equal(svc.port, host.node.meshPort);
            assert.deepEqual(svc.addresses, [host.addr]);
            assert.deepEqual(svc.txt, {
              pid: host.node.peerId,
              epk: toBase58(invite.ed25519PublicKey),
              xpk: toBase58(invite.x25519PublicKey),
              v: "1",
              mp: String(host.node.meshPort),
            });
          }
        },
      );

      // A service whose keys do not belong to its peer id, pointing at B's real mesh port.
      const epk = crypto.getRandomValues(new Uint8Array(32));
      const forgedId = peerIdOf(crypto.getRandomValues(new Uint8Array(32)));
      assert.notEqual(peerIdOf(epk), forgedId);

      await t.step(
        "a forged announcement is listed as discovered (keys_match: false)",
        async () => {
          announcer = new Deno.Command("ip", {
            args: [
              "netns",
              "exec",
              nsB,
              PYTHON,
              `${HERE}_zeroconf_announce.py`,
              JSON.stringify({
                address: b.addr,
                services: [{
                  instance: "forged",
                  host: "forged-host",
                  port: b.node.meshPort,
                  txt: {
                    pid: forgedId,
                    epk: toBase58(epk),
                    xpk: toBase58(crypto.getRandomValues(new Uint8Array(32))),
                    v: "1",
                    mp: String(b.node.meshPort),
                  },
                }],
              }),
            ],
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const forged = await waitFor(
            "the forged service on A",
            async () => {
              return (await discovered(a)).find((d) => d.peer_id === forgedId);
            },
            WAIT_MS,
            100,
          );
          assert.equal(forged.keys_match, false);
          assert.equal(forged.address, b.addr);
          assert.equal(forged.port, b.node.meshPort);
        },
      );

      await t.step("connecting to it is refused at the handshake", async () => {
        const res = await ok(a, "/p2p/connect_discovered", { peer_id: forgedId });
        assert.equal(res.status, "not_connected", JSON.stringify(res));
        assert.match(
          String(res.message),
          new RegExp(`expected peer ${forgedId} .* presented peer id ${b.node.peerId}`),
        );
        const peers = await ok<{ peers: { peer_id: string }[] }>(a, "/p2p/peers");
        assert.ok(!peers.peers.some((p) => p.peer_id === forgedId), "nothing recorded for it");
        const info = await ok<{ mesh: { drops: Record<string, number> } }>(a, "/info");
        assert.ok(info.mesh.drops.handshake_identity_mismatch >= 1, JSON.stringify(info.mesh));
      });

      await t.step("the tool's goodbye removes the forged service", async () => {
        await announcer!.stdin.close();
        await waitFor(
          "the forged service to go",
          async () => {
            return !(await discovered(a)).some((d) => d.peer_id === forgedId);
          },
          WAIT_MS,
          100,
        );
      });
    } finally {
      if (announcer) {
        await announcer.stdin.close().catch(() => {});
        try {
          announcer.kill("SIGKILL");
        } catch {
          // already gone
        }
        await announcer.output().catch(() => {});
      }
      await cleanup(nodes);
      await net.close();
    }
  },
});

Deno.test({
  name:
    "two nodes in one namespace both advertise and are both discovered; CANOPY_NO_DISCOVERY=1 keeps a third one silent",
  ignore: !netns,
  async fn() {
    const net = new Netns();
    const nodes: TestNode[] = [];
    try {
      const subnet = "10.78.53";
      const [ns1, ns2] = await lan(net, subnet, 2);
      // Started first: had it announced anything, the others would list it below.
      const silent = await startOn(ns1, `${subnet}.1`, { env: { CANOPY_NO_DISCOVERY: "1" } });
      nodes.push(silent.node);
      const hosts = await Promise.all([
        startOn(ns1, `${subnet}.1`),
        startOn(ns1, `${subnet}.1`),
        startOn(ns2, `${subnet}.2`),
      ]);
      nodes.push(...hosts.map((h) => h.node));
      await allDiscover(
        hosts,
        (h) => hosts.filter((o) => o !== h).map((o) => o.node.peerId),
        WAIT_MS,
      );
      const [one, two] = hosts;
      const seen = await discovered(hosts[2]);
      for (const h of [one, two]) {
        const d = seen.find((x) => x.peer_id === h.node.peerId)!;
        assert.equal(d.address, `${subnet}.1`);
        assert.equal(d.port, h.node.meshPort);
      }
      assert.notEqual(one.node.meshPort, two.node.meshPort);
      assert.deepEqual(await discovered(silent), []);
      const info = await ok<{ discovery: { state: string } }>(silent, "/info");
      assert.equal(info.discovery.state, "off");
      assert.match(
        silent.node.stderr(),
        /LAN discovery is off \(--no-discovery \/ CANOPY_NO_DISCOVERY\)/,
      );
    } finally {
      await cleanup(nodes);
      await net.close();
    }
  },
});

/** Waits until the node's `/info` diagnostics satisfy `pred` (bounded). */
function waitInfo(host: Host, what: string, pred: (d: Record<string, unknown>) => boolean) {
  return waitFor(
    what,
    async () => {
      const info = await ok<{ discovery: Record<string, unknown> }>(host, "/info");
      return pred(info.discovery) ? info.discovery : false;
    },
    WAIT_MS,
    100,
  );
}

const warnings = (node: TestNode, text: string) =>
  node.stderr().split("\n").filter((l) => l.includes("WARN") && l.includes(text)).length;

Deno.test({
  name:
    "mDNS failures (no multicast route, port 5353 held) are logged once and never stop the node",
  ignore: !netns,
  async fn(t) {
    const net = new Netns();
    const nodes: TestNode[] = [];
    let holder: Deno.ChildProcess | undefined;
    try {
      const subnet = "10.78.54";
      const [ns1, ns2] = await lan(net, subnet, 2);

      await t.step(
        "no multicast route: one warning, sends keep failing, the API works",
        async () => {
          await net.exec(ns1, "route", "del", "224.0.0.0/4");
          const host = await startOn(ns1, `${subnet}.1`);
          nodes.push(host.node);
          await waitInfo(
            host,
            "several failed sends",
            (d) => ((d.counters as Record<string, number>)?.send_failed ?? 0) >= 3,
          );
          assert.equal(warnings(host.node, "mDNS send failed"), 1, host.node.stderr());
          assert.equal((await api(host, "/p2p/status")).status, 200);
          assert.equal(await host.node.stop("SIGTERM"), 0);
        },
      );

      await t.step(
        "port 5353 held without address sharing: discovery off, one warning",
        async () => {
          // A socket bound without SO_REUSEADDR keeps every other socket off the port.
          holder = new Deno.Command("ip", {
            args: [
              "netns",
              "exec",
              ns2,
              Deno.execPath(),
              "eval",
              "import dgram from 'node:dgram';" +
              "const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });" +
              "s.bind(5353, '0.0.0.0', () => console.log('bound'));" +
              "setTimeout(() => s.close(), 60000);",
            ],
            stdout: "piped",
            stderr: "null",
          }).spawn();
          const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
          assert.match((await reader.read()).value ?? "", /bound/);
          reader.releaseLock();
          const host = await startOn(ns2, `${subnet}.2`);
          nodes.push(host.node);
          await waitInfo(host, "discovery to give up", (d) => d.state === "failed");
          assert.equal(warnings(host.node, "LAN discovery is off"), 1, host.node.stderr());
          assert.equal((await api(host, "/p2p/status")).status, 200);
          assert.equal(await host.node.stop("SIGTERM"), 0);
        },
      );
    } finally {
      if (holder) {
        try {
          holder.kill("SIGKILL");
        } catch {
          // already gone
        }
        await holder.stdout.cancel().catch(() => {});
        await holder.status;
      }
      await cleanup(nodes);
      await net.close();
    }
  },
});

/** avahi-daemon, a private D-Bus for it, and avahi-browse (Debian's avahi-utils). */
async function avahiAvailable(): Promise<boolean> {
  const has = async (cmd: string) => {
    try {
      return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
        .output()).success;
    } catch {
      return false;
    }
  };
  // A running system avahi owns /run/avahi-daemon/pid: a second daemon would refuse to start,
  // and this test must not disturb the machine's own.
  const systemAvahi = await Deno.stat("/run/avahi-daemon/pid").then(() => true, () => false);
  return !systemAvahi && await has("avahi-daemon") && await has("avahi-browse") &&
    await has("dbus-daemon");
}

/** Reads a child's stderr into a string (so the pipe never fills) and reports a line. */
function follow(
  child: Deno.ChildProcess,
  line: RegExp,
): { text: () => string; seen: Promise<void> } {
  let text = "";
  let found!: () => void;
  const seen = new Promise<void>((r) => (found = r));
  void (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (line.test(text)) found();
    }
  })().catch(() => {});
  return { text: () => text, seen };
}

Deno.test({
  name:
    "avahi-daemon and a node share UDP 5353 in one namespace: avahi-browse -r sees both nodes with their TXT, and the nodes still find each other",
  ignore: !netns || !(await avahiAvailable()),
  async fn() {
    const net = new Netns();
    const nodes: TestNode[] = [];
    const dir = await Deno.makeTempDir({ prefix: "canopy-avahi-" });
    const children: Deno.ChildProcess[] = [];
    try {
      const subnet = "10.78.55";
      const [ns1, ns2] = await lan(net, subnet, 2);
      const bus = `unix:path=${dir}/bus.sock`;
      await Deno.writeTextFile(
        `${dir}/dbus.conf`,
        `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>${bus}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>`,
      );
      await Deno.writeTextFile(
        `${dir}/avahi.conf`,
        "[server]\nhost-name=avahi-test\nuse-ipv4=yes\nuse-ipv6=no\n" +
          "[wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\n",
      );
      const dbus = new Deno.Command("ip", {
        args: ["netns", "exec", ns1, "dbus-daemon", "--nofork", `--config-file=${dir}/dbus.conf`],
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.push(dbus);
      await waitFor("the private D-Bus socket", () => Deno.stat(`${dir}/bus.sock`), WAIT_MS, 50);
      const env = { DBUS_SYSTEM_BUS_ADDRESS: bus };
      const avahi = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          ns1,
          "avahi-daemon",
          "-f",
          `${dir}/avahi.conf`,
          "--no-chroot",
          "--no-drop-root",
          "--no-rlimits",
          "--debug",
        ],
        env,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      children.push(avahi);
      let avahiExited = false;
      void avahi.status.then(() => (avahiExited = true));
      const avahiLog = follow(avahi, /Server startup complete/);
      await Promise.race([
        avahiLog.seen,
        avahi.status.then(() => {
          throw new Error(`avahi-daemon exited:\n${avahiLog.text()}`);
        }),
      ]);

      const [a, b] = await Promise.all([startOn(ns1, `${subnet}.1`), startOn(ns2, `${subnet}.2`)]);
      nodes.push(a.node, b.node);
      await allDiscover([a, b], (h) => [h === a ? b.node.peerId : a.node.peerId], WAIT_MS);

      const resolved = await waitFor(
        "avahi-browse to resolve both nodes",
        async () => {
          const out = await new Deno.Command("ip", {
            args: ["netns", "exec", ns1, "avahi-browse", "-r", "-t", "-p", "_canopy._tcp"],
            env,
            stdout: "piped",
            stderr: "null",
          }).output();
          // =;iface;proto;name;type;domain;host;address;port;"k=v" "k=v"…
          const rows = new TextDecoder().decode(out.stdout).split("\n")
            .filter((l) => l.startsWith("="))
            .map((l) => l.split(";"))
            .map((f) => ({
              address: f[7],
              port: Number(f[8]),
              txt: Object.fromEntries(
                [...(f[9] ?? "").matchAll(/"([^"=]+)=([^"]*)"/g)].map((m) => [m[1], m[2]]),
              ),
            }));
          return [a, b].every((h) => rows.some((r) => r.txt.pid === h.node.peerId)) && rows;
        },
        WAIT_MS,
        200,
      );
      for (const h of [a, b]) {
        const invite = decodeInvite(
          (await ok<{ invite_code: string }>(h, "/p2p/invite")).invite_code,
        );
        const row = resolved.find((r) => r.txt.pid === h.node.peerId)!;
        assert.equal(row.address, h.addr);
        assert.equal(row.port, h.node.meshPort);
        assert.equal(row.txt.epk, toBase58(invite.ed25519PublicKey));
        assert.equal(row.txt.xpk, toBase58(invite.x25519PublicKey));
        assert.equal(row.txt.v, "1");
        assert.equal(row.txt.mp, String(h.node.meshPort));
      }
      assert.equal(avahiExited, false, `avahi-daemon stopped:\n${avahiLog.text()}`);
    } finally {
      await cleanup(nodes);
      for (const c of children.reverse()) {
        try {
          c.kill("SIGTERM");
        } catch {
          // already gone
        }
        await c.status;
      }
      await net.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
