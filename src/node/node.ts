/**
 * The composition root: opens storage and identity, wires services, binds
 * the listeners, and owns the lifecycle. Everything else receives its
 * collaborators from here.
 * @module
 */
import type { NodeSettings, RelayPolicy } from "../config/config.ts";
import { RELAY_POLICIES } from "../config/config.ts";
import { ApiKeyService } from "../accounts/api_keys.ts";
import { AccountService } from "../accounts/users.ts";
import { UsersRepo } from "../store/users_repo.ts";
import { ownHostNames } from "./host_names.ts";
import type { ApiDeps, InviteView, StatusView } from "../api/ports.ts";
import { encodeInvite } from "../identity/invite.ts";
import { type NodeIdentity, openIdentity } from "../identity/identity.ts";
import { loadOrCreateIdentity } from "../identity/identity_file.ts";
import { advertisedEndpoints, type InterfaceAddress, isLoopback } from "../mesh/endpoints.ts";
import { ApiKeysRepo } from "../store/api_keys_repo.ts";
import { AtRestCipher } from "../store/at_rest.ts";
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from "../store/migrations.ts";
import { SettingsRepo } from "../store/settings_repo.ts";
import { Database } from "../store/sqlite.ts";
import { randomBytes } from "../crypto/mod.ts";
import { CryptoPool } from "../crypto/crypto_pool.ts";
import { toBase64Url } from "../util/base64url.ts";
import { bug } from "../util/errors.ts";
import type { Logger } from "../util/log.ts";
import { createHttpApp } from "../web/http_app.ts";
import { EventBus } from "../chat/events.ts";
import { Messaging } from "../chat/messaging.ts";
import { PeersService } from "../chat/peers_service.ts";
import { SyncService } from "../chat/sync.ts";
import { Author } from "../chat/author.ts";
import { Channels } from "../chat/channels.ts";
import { Profiles } from "../chat/profiles.ts";
import { EnvelopeRouter } from "../chat/router.ts";
import { Introductions } from "../chat/introductions.ts";
import { Broker } from "../chat/broker.ts";
import { ChannelsRepo } from "../store/channels_repo.ts";
import { ProfilesRepo } from "../store/profiles_repo.ts";
import { bindingMessage, type LocalIdentity, PROTO_RANGE } from "../mesh/handshake.ts";
import { Discovery, type MdnsTransport, multicastDns } from "../discovery/mod.ts";
import { Counters } from "../mesh/counters.ts";
import { Mesh, type MeshTransport } from "../mesh/mesh.ts";
import type { Link, LinkOptions } from "../mesh/link.ts";
import { SealCache } from "../mesh/seal_cache.ts";
import { wsTransport } from "../mesh/ws_transport.ts";
import { MessagesRepo } from "../store/messages_repo.ts";
import { PeersRepo } from "../store/peers_repo.ts";
import type { BackoffOptions } from "../util/backoff.ts";
import { VERSION } from "../version.ts";
import { resolveDeviceId } from "./device_id.ts";
import { bindError, listen, type Listener } from "./listen.ts";
import { type DevicePaths, devicePaths, ensureDeviceDirs } from "./paths.ts";

/** Collaborators a node can be given (tests inject them). */
export interface NodeOptions {
  readonly log: Logger;
  /** Lists interface addresses for invite endpoints (default: the OS's). */
  readonly interfaces?: () => InterfaceAddress[];
  readonly now?: () => number;
  /** Asks for the identity passphrase on a terminal. */
  readonly askPassphrase?: () => string | undefined;
  /** Mesh transport (default: WebSockets). */
  readonly transport?: MeshTransport;
  /** Link timings (tests shorten them). */
  readonly linkOptions?: LinkOptions;
  /** Reconnect backoff (tests shorten it). */
  readonly backoff?: BackoffOptions;
  /** The mDNS socket for LAN discovery (default: UDP 5353 through multicast-dns). */
  readonly mdns?: MdnsTransport;
}

/** Where the node ended up listening. */
export interface NodeAddresses {
  readonly http: { hostname: string; port: number };
  readonly mesh: { hostname: string; port: number };
}

/**
 * Ed25519 worker threads: one per spare core (at least one, at most four).
 * Every envelope written is signed and every one received verified; off the
 * main thread that work runs beside storage, HTTP and networking.
 */
export const CRYPTO_WORKERS = Math.max(1, Math.min(4, (navigator.hardwareConcurrency ?? 2) - 1));

/** Settings key of the relay policy chosen through the API/UI. */
export const RELAY_POLICY_SETTING = "relay_policy";

/** The device name before the user sets one: this machine's host name. */
function defaultDeviceName(): string {
  try {
    return Deno.hostname().replace(/[^\w .-]/g, "").slice(0, 64) || "Canopy device";
  } catch {
    return "Canopy device";
  }
}

function osInterfaces(): InterfaceAddress[] {
  try {
    return Deno.networkInterfaces().map((i) => ({ family: i.family, address: i.address }));
  } catch {
    return [];
  }
}

/** Opens the data directory and database of a device (used by the node and the CLI). */
export async function openStorage(
  settings: NodeSettings,
): Promise<{ paths: DevicePaths; deviceId: string; db: Database }> {
  const deviceId = resolveDeviceId(settings.deviceId);
  const paths = devicePaths(settings.dataDir, deviceId);
  await ensureDeviceDirs(paths);
  // SQLite gives the -wal and -shm files the mode of the main file: make it private first.
  await Deno.writeFile(paths.database, new Uint8Array(0), { append: true, mode: 0o600 });
  const db = Database.open(paths.database);
  try {
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return { paths, deviceId, db };
}

/** One running Canopy node. */
export class CanopyNode {
  readonly version = VERSION;
  readonly startedAt: number;
  /** One-time token needed to create the first account from a non-loopback address. */
  readonly setupToken: string;
  readonly keys: ApiKeyService;
  /** Web accounts and sessions. */
  readonly accounts: AccountService;
  /** Aborted by `close()`: ends open event streams, which would keep the HTTP server up. */
  readonly #shutdown = new AbortController();
  readonly events = new EventBus();
  readonly counters = new Counters();
  readonly messagesRepo: MessagesRepo;
  readonly peersRepo: PeersRepo;
  #relayPolicy: RelayPolicy;
  #http?: Listener;
  #meshAddr?: { hostname: string; port: number };
  #mesh?: Mesh;
  #messaging?: Messaging;
  #peers?: PeersService;
  #discovery?: Discovery;
  #sync?: SyncService;
  #profiles?: Profiles;
  #channels?: Channels;
  #intros?: Introductions;
  #crypto?: CryptoPool;
  #broker?: Broker;
  readonly #router = new EnvelopeRouter(this.counters);
  #closed = false;

  private constructor(
    readonly settings: NodeSettings,
    readonly paths: DevicePaths,
    readonly deviceId: string,
    readonly identity: NodeIdentity,
    readonly db: Database,
    readonly cipher: AtRestCipher,
    readonly settingsRepo: SettingsRepo,
    private readonly bind: Uint8Array,
    private readonly options: NodeOptions,
  ) {
    const now = options.now ?? Date.now;
    this.messagesRepo = new MessagesRepo(db, cipher);
    this.peersRepo = new PeersRepo(db, cipher);
    this.startedAt = now();
    this.keys = new ApiKeyService(new ApiKeysRepo(db), now);
    const stored = settingsRepo.get(RELAY_POLICY_SETTING) as RelayPolicy | undefined;
    this.#relayPolicy = settings.relayPolicyExplicit || !stored || !RELAY_POLICIES.includes(stored)
      ? settings.relayPolicy
      : stored;
    this.setupToken = toBase64Url(randomBytes(18));
    this.accounts = new AccountService(new UsersRepo(db), { setupToken: this.setupToken, now });
  }

  /** Opens storage and identity; does not bind any port yet. */
  static async open(settings: NodeSettings, options: NodeOptions): Promise<CanopyNode> {
    const { paths, deviceId, db } = await openStorage(settings);
    try {
      const { secrets, created } = await loadOrCreateIdentity(paths.identity, {
        passphrase: settings.passphrase,
        askPassphrase: options.askPassphrase,
      });
      const identity = await openIdentity(secrets);
      if (created) options.log.info("created a new identity", { peer_id: identity.peerId });
      const cipher = AtRestCipher.fromSeed(identity.ed25519Seed);
      const bind = await identity.signing.sign(bindingMessage(identity.x25519PublicKey));
      return new CanopyNode(
        settings,
        paths,
        deviceId,
        identity,
        db,
        cipher,
        new SettingsRepo(db, cipher),
        bind,
        options,
      );
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Binds the mesh and HTTP listeners and starts dialling known peers. */
  start(): NodeAddresses {
    const log = this.options.log;
    const now = this.options.now ?? Date.now;
    const local: LocalIdentity = {
      peerId: this.identity.peerId,
      signing: this.identity.signing,
      agreement: this.identity.agreement,
      bind: this.bind,
      endpoints: () => this.endpoints(),
    };
    const seal = new SealCache(this.identity.agreement, now);
    this.#crypto = new CryptoPool(CRYPTO_WORKERS, { signingSeed: this.identity.ed25519Seed });
    const pool = this.#crypto;
    const mesh = new Mesh({
      identity: local,
      verify: (pub, msg, sig) => pool.verify(pub, msg, sig),
      relaySeal: seal,
      relayPolicy: () => this.#relayPolicy,
      transport: this.options.transport ?? wsTransport({
        onError: (e) => log.debug("mesh listener error", { error: e }),
      }),
      peerStore: this.peersRepo,
      sink: this.#router,
      log: log.child("mesh"),
      counters: this.counters,
      now,
      linkOptions: this.options.linkOptions,
      backoff: this.options.backoff,
      observer: {
        onPeerConnected: (peer, link) => {
          this.events.publish("peer_connected", {
            peer_id: peer.peerId,
            direction: link.initiator ? "outbound" : "inbound",
            trust: peer.trust,
          });
          this.#messaging?.rewind(peer.peerId);
          this.#broker?.linkUp(peer.peerId);
          if (peer.trust === "accepted") this.#welcome(link);
        },
        onPeerDisconnected: (peer, info, link) => {
          this.#sync?.linkClosed(link);
          this.events.publish("peer_disconnected", {
            peer_id: peer.peerId,
            code: info.code,
            reason: info.reason,
          });
        },
        onPeerPending: (peer) =>
          this.events.publish("peer_pending", { peer: this.#peers!.view(peer) }),
        onRouteChange: (peerId, via, reason) => {
          this.events.publish("relay_route", { peer_id: peerId, via, reason });
          if (via) {
            this.#broker?.routeAdded(peerId, via);
            this.#messaging?.rewind(peerId);
          }
        },
        onPeerChanged: (peer) => {
          this.events.publish("peer_updated", { peer: this.#peers!.view(peer) });
          const link = mesh.link(peer.peerId);
          if (peer.trust === "accepted" && link) {
            this.#messaging?.rewind(peer.peerId);
            this.#sync?.accepted(link);
            void this.#profiles?.sendAll(link, this.#relayPolicy === "off");
            void this.#intros?.linkUp(link);
          }
        },
      },
    });
    try {
      this.#meshAddr = mesh.listen(this.settings.meshHost, this.settings.meshPort);
    } catch (e) {
      throw bindError(e, {
        hostname: this.settings.meshHost,
        port: this.settings.meshPort,
        portFlag: "--mesh-port",
        portEnv: "CANOPY_MESH_PORT",
      });
    }
    this.#mesh = mesh;
    const author = new Author({
      me: this.identity.peerId,
      signing: pool.signingKey(),
      db: this.db,
      repo: this.messagesRepo,
      now,
    });
    const messaging = new Messaging({
      me: this.identity.peerId,
      author,
      seal,
      mesh,
      db: this.db,
      repo: this.messagesRepo,
      events: this.events,
      counters: this.counters,
      log: log.child("chat"),
      now,
      nameOf: (id) => {
        const card = this.#profiles?.cardOf(id);
        return {
          display: card?.user.display_name || mesh.peers.get(id)?.name || null,
          device: card?.device.device_name || null,
        };
      },
    });
    this.#messaging = messaging;
    const profiles = new Profiles({
      me: this.identity.peerId,
      defaultDeviceName: defaultDeviceName(),
      author,
      mesh: { flood: (env, from) => mesh.flood(env, from), peers: mesh.peers },
      db: this.db,
      repo: new ProfilesRepo(this.db, this.cipher),
      events: this.events,
      counters: this.counters,
      now,
    });
    this.#profiles = profiles;
    this.#channels = new Channels({
      me: this.identity.peerId,
      myKey: this.identity.ed25519PublicKey,
      author,
      mesh,
      db: this.db,
      repo: new ChannelsRepo(this.db, this.cipher),
      messages: this.messagesRepo,
      events: this.events,
      counters: this.counters,
      now,
      deviceName: () => profiles.mine().device.device_name,
      displayName: (id) =>
        profiles.cardOf(id)?.user.display_name || mesh.peers.get(id)?.name || null,
    });
    this.#intros = new Introductions({
      me: this.identity.peerId,
      author,
      mesh,
      counters: this.counters,
      events: this.events,
      now,
      assists: () => this.#relayPolicy !== "off",
      nameOf: (id) => {
        const card = profiles.cardOf(id);
        return {
          display: card?.user.display_name || null,
          device: card?.device.device_name || null,
        };
      },
      routeOf: (id) => mesh.routeOf(id),
    });
    this.#broker = new Broker({
      me: this.identity.peerId,
      mesh,
      counters: this.counters,
      log: log.child("broker"),
      policy: () => this.#relayPolicy,
      endpoints: () => this.endpoints(),
    });
    messaging.register(this.#router);
    profiles.register(this.#router);
    this.#channels.register(this.#router);
    this.#intros.register(this.#router);
    this.#sync = new SyncService({
      me: this.identity.peerId,
      mesh,
      store: this.messagesRepo,
      counters: this.counters,
      log: log.child("sync"),
      isAccepted: (id) => mesh.peers.get(id)?.trust === "accepted",
      forwardsOthers: () => this.#relayPolicy !== "off",
    });
    this.#peers = new PeersService({
      me: this.identity.peerId,
      mesh,
      events: this.events,
      cardOf: (id) => profiles.cardOf(id),
      discovered: () => this.#discovery?.peers() ?? [],
    });
    const app = createHttpApp(this.apiDeps(), log.child("http"), {
      hostNames: ownHostNames(this.settings),
    });
    try {
      this.#http = listen({
        hostname: this.settings.host,
        port: this.settings.port,
        portFlag: "--port",
        portEnv: "CANOPY_PORT",
        handler: app.fetch,
      });
    } catch (e) {
      void mesh.close();
      throw e;
    }
    this.db.checkpointEvery();
    void profiles.ensurePublished().catch((e) =>
      log.warn("could not publish the profile card", { error: e })
    );
    mesh.start();
    messaging.start();
    this.#startDiscovery(log);
    log.info("listening", {
      http: `${this.#http.hostname}:${this.#http.port}`,
      mesh: `${this.#meshAddr.hostname}:${this.#meshAddr.port}`,
    });
    return this.addresses;
  }

  /**
   * Advertises the mesh port on the LAN and browses for other nodes (SPEC §7).
   * mDNS problems are logged once by the service and never stop the node.
   */
  #startDiscovery(log: Logger): void {
    if (!this.settings.discovery) {
      log.info("LAN discovery is off (--no-discovery / CANOPY_NO_DISCOVERY)");
      return;
    }
    const discovery = new Discovery({
      peerId: this.identity.peerId,
      ed25519PublicKey: this.identity.ed25519PublicKey,
      x25519PublicKey: this.identity.x25519PublicKey,
      protocolVersion: PROTO_RANGE[1],
      meshPort: this.#meshAddr!.port,
      deviceName: () => this.#profiles?.mine().device.device_name ?? defaultDeviceName(),
      addresses: () => this.#lanAddresses(),
      // A mesh on loopback cannot be reached from the LAN: browse, but do not advertise.
      advertise: !isLoopback(this.settings.meshHost),
      transport: this.options.mdns ?? multicastDns(),
      log: log.child("discovery"),
      observer: {
        onDiscovered: (peer, change) =>
          this.events.publish("peer_discovered", {
            peer: this.#peers!.discoveredView(peer),
            change,
          }),
        onLost: (peer, reason) =>
          this.events.publish("peer_lost", {
            peer_id: peer.peerId,
            instance: peer.instance,
            name: peer.name,
            reason,
          }),
      },
    });
    this.#discovery = discovery;
    void discovery.start();
  }

  /** The addresses put in mDNS A/AAAA records: the hosts of the interface endpoints. */
  #lanAddresses(): string[] {
    return advertisedEndpoints({
      meshHost: this.settings.meshHost,
      meshPort: this.#meshAddr?.port ?? this.settings.meshPort,
      interfaces: (this.options.interfaces ?? osInterfaces)(),
    }).map((e) => new URL(e).hostname.replace(/^\[|\]$/g, ""));
  }

  /** The mesh (after `start`). */
  get mesh(): Mesh {
    return this.#mesh ?? bug("node not started");
  }

  /** Messaging (after `start`). */
  get messaging(): Messaging {
    return this.#messaging ?? bug("node not started");
  }

  /** What a newly linked accepted peer gets: catch-up, profile cards, introductions. */
  #welcome(link: Link): void {
    this.#sync?.start(link);
    void this.#profiles?.sendAll(link, this.#relayPolicy === "off");
    void this.#intros?.linkUp(link);
  }

  /** Changes the relay policy at run time and remembers it across restarts (SPEC §6). */
  setRelayPolicy(policy: RelayPolicy): void {
    this.#relayPolicy = policy;
    this.settingsRepo.set(RELAY_POLICY_SETTING, policy);
    if (policy !== "full_relay") this.#mesh?.relay?.withdrawAll(`relay policy is now ${policy}`);
    this.events.publish("relay_policy", { relay_policy: policy });
    this.options.log.info("relay policy changed", { policy });
  }

  /** `/p2p/relay_status`, exactly the guide's three fields. */
  relayStatus(): Record<string, unknown> {
    const routes: Record<string, string> = {};
    const active: Record<string, string> = {};
    for (const [peer, via] of this.#mesh?.relay?.routes ?? []) {
      routes[peer] = via;
      if (this.#mesh?.isConnected(via) && !this.#mesh.isConnected(peer)) active[peer] = via;
    }
    return { relay_policy: this.#relayPolicy, active_relays: active, routing_table: routes };
  }

  /** Bound addresses; throws before `start`. */
  get addresses(): NodeAddresses {
    if (!this.#http || !this.#meshAddr) bug("node not started");
    return {
      http: { hostname: this.#http.hostname, port: this.#http.port },
      mesh: { ...this.#meshAddr },
    };
  }

  /** True while no web account exists (the setup URL is then shown). */
  needsSetup(): boolean {
    return (this.db.get<{ n: number }>("SELECT count(*) AS n FROM users")?.n ?? 0) === 0;
  }

  get relayPolicy(): RelayPolicy {
    return this.#relayPolicy;
  }

  /** The mesh endpoints this node advertises. */
  endpoints(publicHost?: string, publicPort?: number): string[] {
    return advertisedEndpoints({
      meshHost: this.settings.meshHost,
      meshPort: this.#meshAddr?.port ?? this.settings.meshPort,
      publicHost: publicHost ?? this.settings.publicHost,
      publicPort: publicPort ?? this.settings.publicPort,
      interfaces: (this.options.interfaces ?? osInterfaces)(),
    });
  }

  invite(publicHost?: string, publicPort?: number): InviteView {
    const endpoints = this.endpoints(publicHost, publicPort);
    return {
      invite_code: encodeInvite({
        ed25519PublicKey: this.identity.ed25519PublicKey,
        x25519PublicKey: this.identity.x25519PublicKey,
        endpoints,
      }),
      peer_id: this.identity.peerId,
      endpoints,
    };
  }

  status(): StatusView {
    return {
      peer_id: this.identity.peerId,
      running: this.#mesh !== undefined && !this.#closed,
      connected_peers: this.#mesh?.links().length ?? 0,
      relay_policy: this.#relayPolicy,
      device_id: this.deviceId,
      version: this.version,
    };
  }

  diagnostics(): Record<string, unknown> {
    const now = this.options.now ?? Date.now;
    const mem = Deno.memoryUsage();
    return {
      peer_id: this.identity.peerId,
      device_id: this.deviceId,
      fingerprint: this.identity.fingerprint,
      started_at: new Date(this.startedAt).toISOString(),
      uptime_seconds: Math.round((now() - this.startedAt) / 1000),
      relay_policy: this.#relayPolicy,
      http: this.#http ? { hostname: this.#http.hostname, port: this.#http.port } : null,
      mesh: {
        running: this.#mesh !== undefined && !this.#closed,
        listen: this.#meshAddr ?? null,
        endpoints: this.endpoints(),
        connected_peers: this.#mesh?.links().length ?? 0,
        known_peers: this.#mesh?.peers.all().length ?? 0,
        relaying_for: this.#mesh?.relay?.relayingFor() ?? [],
        ...this.#mesh?.diagnostics(),
      },
      discovery: this.#discovery?.diagnostics() ?? { state: "off" },
      messages: this.messagesRepo.countByKind(),
      storage: {
        schema_version: schemaVersion(this.db),
        latest_schema_version: LATEST_SCHEMA_VERSION,
      },
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed },
      runtime: {
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        os: Deno.build.os,
        arch: Deno.build.arch,
      },
    };
  }

  /** The API's view of this node. */
  apiDeps(): ApiDeps {
    return {
      node: {
        version: this.version,
        status: () => this.status(),
        diagnostics: () => this.diagnostics(),
        invite: ({ publicHost, publicPort }) => this.invite(publicHost, publicPort),
      },
      keys: this.keys,
      auth: {
        fromApiKey: (key) => this.keys.authenticate(key),
        fromSession: (token) => this.accounts.authenticate(token),
      },
      accounts: this.accounts,
      shutdown: this.#shutdown.signal,
      peers: this.#peers ?? bug("node not started"),
      messages: {
        sendDirect: (peerId, content) => this.messaging.sendDirect(peerId, content),
        sendBroadcast: (content) => this.messaging.sendBroadcast(content),
        list: (query) => this.messaging.list(query),
      },
      events: this.events,
      profiles: {
        user: () => ({ ...this.#profiles!.mine().user, version: this.#profiles!.mine().version }),
        device: () => ({
          ...this.#profiles!.mine().device,
          version: this.#profiles!.mine().version,
        }),
        updateUser: async (body) => {
          const card = await this.#profiles!.updateUser(body);
          return { ...card.user, version: card.version };
        },
        updateDevice: async (body) => {
          const card = await this.#profiles!.updateDevice(body);
          return { ...card.device, version: card.version };
        },
      },
      relay: {
        status: () => this.relayStatus(),
        setPolicy: (policy) => {
          this.setRelayPolicy(policy);
          return this.relayStatus();
        },
        introduced: () => this.#intros!.list(),
        connectIntroduced: (peerId) => this.#broker!.connect(peerId),
      },
      channels: {
        list: () => this.#channels!.list(),
        create: (name, description) => this.#channels!.create(name, description),
        posts: (id, query) => this.#channels!.posts(id, query),
        post: (id, content) => this.#channels!.post(id, content),
      },
    };
  }

  /** Stops listeners, flushes and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Goodbye packets go out while the mesh port is still open (RFC 6762 §10.1).
    await this.#discovery?.close();
    this.#sync?.close();
    await this.#messaging?.close();
    this.#shutdown.abort();
    await Promise.allSettled([this.#http?.close(), this.#mesh?.close()]);
    this.#crypto?.close();
    try {
      this.db.checkpoint();
    } catch (e) {
      this.options.log.warn("could not checkpoint the database", { error: e });
    }
    this.db.close();
    this.cipher.close();
  }
}
