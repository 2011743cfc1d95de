/**
 * What the HTTP API needs from the rest of the node. The API owns these
 * interfaces; the composition root (src/node) supplies implementations.
 * The API never reaches into the store or the mesh directly.
 * @module
 */
import type { Permission } from "../config/config.ts";
import type { ApiKeyView, CreatedApiKey, CreateKeyOptions } from "../accounts/api_keys.ts";
import type { AuthStatusView, ClientInfo, SessionGrant } from "../accounts/users.ts";

export type { AuthStatusView, ClientInfo, SessionGrant };

/** Who is making a request. */
export interface Principal {
  readonly kind: "api_key" | "session";
  /** Key name or username, for logs. */
  readonly name: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly keyId?: string;
  /** The session's CSRF token (sessions only). */
  readonly csrfToken?: string;
}

/** Turns credentials into a principal; throws `CanopyError("unauthorized")`. */
export interface Authenticator {
  fromApiKey(key: string): Principal;
  /** Checks a web session token (from the cookie); absent: no web sessions. */
  fromSession?(token: string): Principal;
}

/** Web accounts and sessions (src/accounts/users.ts, SPEC §9). */
export interface AccountsPort {
  status(sessionToken: string | undefined, client: ClientInfo): AuthStatusView;
  setup(
    input: { username: unknown; password: unknown; setupToken?: unknown },
    client: ClientInfo,
  ): Promise<SessionGrant>;
  login(input: { username: unknown; password: unknown }, client: ClientInfo): Promise<SessionGrant>;
  logout(sessionToken: string | undefined): boolean;
  changePassword(
    sessionToken: string,
    input: { old_password: unknown; new_password: unknown },
    client: ClientInfo,
  ): Promise<{ sessions_revoked: number }>;
}

/** `GET /p2p/status` (superset of Canopy 0.4's fields). */
export interface StatusView {
  peer_id: string;
  running: boolean;
  connected_peers: number;
  relay_policy: string;
  [extra: string]: unknown;
}

/** `GET /p2p/invite`. */
export interface InviteView {
  invite_code: string;
  peer_id: string;
  endpoints: string[];
  [extra: string]: unknown;
}

/** Node-level facts and actions. */
export interface NodePort {
  readonly version: string;
  status(): StatusView;
  /** Full diagnostics for `/info` with a key. */
  diagnostics(): Record<string, unknown>;
  invite(options: { publicHost?: string; publicPort?: number }): InviteView;
}

/** API key management. */
export interface KeysPort {
  create(options: CreateKeyOptions): CreatedApiKey;
  list(): ApiKeyView[];
  revoke(id: string): ApiKeyView;
}

/** Peer management (src/chat/peers_service.ts). Results are JSON views. */
export interface PeersPort {
  list(): Record<string, unknown>;
  importInvite(code: unknown): Promise<Record<string, unknown>>;
  /** Dials a peer discovered on the LAN; the handshake verifies its advertised keys. */
  connectDiscovered(peerId: unknown): Promise<Record<string, unknown>>;
  reconnect(peerId: unknown): Promise<Record<string, unknown>>;
  reconnectAll(): Promise<Record<string, unknown>>;
  disconnect(peerId: unknown): Record<string, unknown>;
  forget(peerId: unknown): Record<string, unknown>;
  accept(peerId: unknown): unknown;
  block(peerId: unknown): unknown;
}

/** Filters of `GET /messages`. */
export interface MessageQuery {
  peerId?: string;
  channelId?: string;
  type?: "direct" | "broadcast";
  sinceMs?: number;
  beforeMs?: number;
  /** Opaque paging cursor from a previous page's `next_cursor`. */
  cursor?: number;
  limit: number;
}

/** Messaging (src/chat/messaging.ts). */
export interface MessagesPort {
  sendDirect(peerId: string, content: string): Promise<{ id: string; state: string }>;
  sendBroadcast(content: string): Promise<{ view: { id: string }; peers: number }>;
  list(query: MessageQuery): { messages: unknown[]; nextCursor: number | null };
}

/** One event for `/events`. */
export interface ApiEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** The event stream source. */
export interface EventsPort {
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

/** Profiles (src/chat/profiles.ts). */
export interface ProfilesPort {
  user(): Record<string, unknown>;
  device(): Record<string, unknown>;
  updateUser(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  updateDevice(body: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Channels (src/chat/channels.ts). */
export interface ChannelsPort {
  list(): unknown[];
  create(name: string, description?: string): Promise<unknown>;
  posts(
    id: string,
    query: { sinceMs?: number; beforeMs?: number; cursor?: number; limit: number },
  ): { messages: unknown[]; nextCursor: number | null };
  post(id: string, content: string): Promise<unknown>;
}

/** Relay, broker and introductions (src/chat/broker.ts, introductions.ts). */
export interface RelayPort {
  status(): Record<string, unknown>;
  setPolicy(policy: "off" | "broker_only" | "full_relay"): Record<string, unknown>;
  introduced(): unknown[];
  connectIntroduced(peerId: string): Promise<Record<string, unknown>>;
}

/** Everything the API is built from. */
export interface ApiDeps {
  readonly node: NodePort;
  readonly keys: KeysPort;
  readonly auth: Authenticator;
  readonly peers: PeersPort;
  readonly messages: MessagesPort;
  readonly events: EventsPort;
  readonly profiles: ProfilesPort;
  readonly channels: ChannelsPort;
  readonly relay: RelayPort;
  /** Web accounts; absent: the /auth routes answer 503. */
  readonly accounts?: AccountsPort;
  /** Aborted when the node shuts down: open event streams end so the server can stop. */
  readonly shutdown?: AbortSignal;
}
