/**
 * The OpenAPI 3.1 description served at `/api/v1/openapi.json`. Each route
 * the API registers must appear here (tests/integration checks it against
 * the router), so new routes add an entry in `OPERATIONS`.
 * @module
 */
import { AUTH_OPERATIONS } from "./openapi_auth.ts";

type Schema = Record<string, unknown>;

/** One documented operation. */
export interface Operation {
  readonly method: "get" | "post" | "put" | "delete";
  /** OpenAPI path, relative to /api/v1, with `{param}` placeholders. */
  readonly path: string;
  readonly summary: string;
  /** "none", "optional", or the permission required ("any" = any valid credential). */
  readonly auth: "none" | "optional" | "any" | string;
  readonly query?: Readonly<Record<string, Schema>>;
  readonly body?: Schema;
  readonly response: Schema;
  readonly status?: number;
}

const s = {
  str: { type: "string" },
  int: { type: "integer" },
  bool: { type: "boolean" },
  strs: { type: "array", items: { type: "string" } },
  obj: (properties: Record<string, Schema>, required: string[] = Object.keys(properties)) => ({
    type: "object",
    properties,
    required,
  }),
};

const apiKey = s.obj({
  id: s.str,
  name: s.str,
  permissions: s.strs,
  created_at: s.str,
  expires_at: { type: ["string", "null"] },
  last_used_at: { type: ["string", "null"] },
  revoked_at: { type: ["string", "null"] },
  status: { enum: ["active", "expired", "revoked"] },
});

const peer = s.obj({
  peer_id: s.str,
  name: { type: ["string", "null"] },
  trust: { enum: ["accepted", "pending", "blocked"] },
  source: s.str,
  connected: s.bool,
  state: { enum: ["connected", "disconnected", "pending", "blocked"] },
  direction: { enum: ["outbound", "inbound", null] },
  route: { enum: ["direct", "relay", null] },
  via: { type: ["string", "null"], description: "relay peer id when route is relay" },
  display_name: { type: ["string", "null"] },
  device_name: { type: ["string", "null"] },
  avatar: { type: ["string", "null"] },
  introduced_by: { type: ["string", "null"] },
  endpoints: s.strs,
  fingerprint: { type: ["string", "null"] },
  last_seen: { type: ["string", "null"] },
  last_error: { type: ["string", "null"] },
}, ["peer_id", "trust", "state", "connected", "endpoints"]);

const message = s.obj({
  id: s.str,
  type: { enum: ["direct", "broadcast"] },
  origin: s.str,
  outgoing: s.bool,
  peer_id: { type: ["string", "null"] },
  origin_name: { type: ["string", "null"] },
  origin_device_name: { type: ["string", "null"] },
  content: s.str,
  timestamp: s.str,
  received_at: s.str,
  seq: s.int,
  state: { enum: ["queued", "sent", "delivered", "failed", "received"] },
  from_pending_peer: s.bool,
});

const connectResult = s.obj({
  peer_id: s.str,
  status: { enum: ["connected", "not_connected"] },
  connected_endpoint: s.str,
  message: s.str,
}, ["peer_id", "status"]);

function peerAction(path: string, summary: string, response: Schema): Operation {
  return {
    method: "post",
    path,
    summary,
    auth: "MANAGE_PEERS",
    body: s.obj({ peer_id: s.str }),
    response,
  };
}

const avatarSchema = {
  type: ["string", "null"],
  description: "data: URL of a PNG, JPEG or WebP image of at most 64 KiB; null removes it",
};
const userProfile = s.obj({
  display_name: s.str,
  bio: s.str,
  avatar: { type: ["string", "null"] },
  version: s.int,
});
const deviceProfile = s.obj({
  device_name: s.str,
  description: s.str,
  avatar: { type: ["string", "null"] },
  version: s.int,
});
const channel = s.obj({
  id: s.str,
  name: s.str,
  description: s.str,
  origin_peer_id: s.str,
  origin_device_name: s.str,
  origin_display_name: { type: ["string", "null"] },
  mine: s.bool,
  created_at: s.str,
  post_count: s.int,
  last_post_at: { type: ["string", "null"] },
});
const post = s.obj({
  id: s.str,
  channel_id: s.str,
  origin: s.str,
  origin_display_name: { type: ["string", "null"] },
  outgoing: s.bool,
  content: s.str,
  timestamp: s.str,
  received_at: s.str,
  seq: s.int,
});

/** Every operation of the API. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: "get",
    path: "/health",
    summary: "Liveness check",
    auth: "none",
    response: s.obj({ status: s.str, version: s.str }),
  },
  {
    method: "get",
    path: "/info",
    summary: "Version without a key; full diagnostics with one",
    auth: "optional",
    response: s.obj({ name: s.str, version: s.str }, ["name", "version"]),
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    auth: "none",
    response: { type: "object" },
  },
  {
    method: "get",
    path: "/p2p/status",
    summary: "Peer id and running state",
    auth: "none",
    response: s.obj({
      peer_id: s.str,
      running: s.bool,
      connected_peers: s.int,
      relay_policy: s.str,
    }),
  },
  {
    method: "get",
    path: "/p2p/invite",
    summary: "This node's invite code; a public host/port goes first in its endpoints",
    auth: "any",
    query: { public_host: s.str, public_port: s.int },
    response: s.obj({ invite_code: s.str, peer_id: s.str, endpoints: s.strs }),
  },
  {
    method: "get",
    path: "/p2p/peers",
    summary: "Connected, known, pending and discovered peers",
    auth: "any",
    response: s.obj({
      connected_peers: s.strs,
      discovered_peers: {
        type: "array",
        items: s.obj({
          peer_id: s.str,
          address: s.str,
          port: s.int,
          connected: s.bool,
          name: s.str,
          endpoints: s.strs,
          last_seen: s.str,
          instance: s.str,
          protocol_version: s.int,
          keys_match: s.bool,
          trust: { enum: ["accepted", "pending", "blocked", null] },
        }, ["peer_id", "address", "port", "connected"]),
      },
      total_connected: s.int,
      total_discovered: s.int,
      peers: { type: "array", items: peer },
      pending_requests: s.strs,
    }),
  },
  {
    method: "post",
    path: "/p2p/invite/import",
    summary: "Import a friend's invite code and try to connect",
    auth: "MANAGE_PEERS",
    body: s.obj({ invite_code: s.str }),
    response: s.obj({
      peer_id: s.str,
      endpoints: s.strs,
      status: { enum: ["connected", "imported_not_connected"] },
      connected_endpoint: s.str,
      message: s.str,
    }, ["peer_id", "endpoints", "status"]),
  },
  {
    method: "post",
    path: "/p2p/send",
    summary: "Send a direct message (peer_id) or a broadcast (broadcast: true)",
    auth: "WRITE_MESSAGES",
    body: s.obj({ content: s.str, peer_id: s.str, broadcast: s.bool }, ["content"]),
    response: s.obj({
      success: s.bool,
      message: s.str,
      peer_id: s.str,
      broadcast: s.bool,
      message_id: s.str,
      state: { enum: ["queued", "sent", "delivered"] },
    }, ["success", "message", "message_id"]),
  },
  peerAction(
    "/p2p/connect_discovered",
    "Dial a peer discovered on the LAN; the handshake verifies its advertised peer id and keys",
    connectResult,
  ),
  peerAction("/p2p/reconnect", "Dial a known peer now (resets its backoff)", connectResult),
  {
    method: "post",
    path: "/p2p/reconnect_all",
    summary: "Dial every accepted peer now",
    auth: "MANAGE_PEERS",
    response: s.obj({
      results: { type: "array", items: connectResult },
      connected: s.int,
      failed: s.int,
    }),
  },
  peerAction(
    "/p2p/disconnect",
    "Close the link and stop redialling",
    s.obj({ peer_id: s.str, status: s.str }),
  ),
  peerAction(
    "/p2p/forget",
    "Forget a peer (its messages stay)",
    s.obj({ peer_id: s.str, status: s.str }),
  ),
  peerAction("/p2p/accept", "Accept a pending contact request (or unblock)", peer),
  peerAction("/p2p/block", "Block a peer: its handshakes are refused", peer),
  {
    method: "get",
    path: "/p2p/relay_status",
    summary: "Relay policy, relays in use and the routing table (peer id → relay peer id)",
    auth: "any",
    response: s.obj({
      relay_policy: { enum: ["off", "broker_only", "full_relay"] },
      active_relays: { type: "object", additionalProperties: s.str },
      routing_table: { type: "object", additionalProperties: s.str },
    }),
  },
  {
    method: "post",
    path: "/p2p/relay_policy",
    summary: "Set the relay policy (persists across restarts unless set by flag or environment)",
    auth: "MANAGE_PEERS",
    body: s.obj({ policy: { enum: ["off", "broker_only", "full_relay"] } }),
    response: s.obj({
      success: s.bool,
      relay_policy: s.str,
      active_relays: { type: "object" },
      routing_table: { type: "object" },
    }),
  },
  {
    method: "get",
    path: "/p2p/introduced",
    summary: "Peers learnt through introductions, with their introducer",
    auth: "any",
    response: s.obj({
      introduced: {
        type: "array",
        items: s.obj({
          peer_id: s.str,
          name: { type: ["string", "null"] },
          display_name: { type: ["string", "null"] },
          device_name: { type: ["string", "null"] },
          endpoints: s.strs,
          introduced_by: { type: ["string", "null"] },
          introduced_by_name: { type: ["string", "null"] },
          connected: s.bool,
          route: { enum: ["direct", "relay", null] },
          via: { type: ["string", "null"] },
        }),
      },
    }),
  },
  {
    method: "post",
    path: "/p2p/connect_introduced",
    summary: "Connect to an introduced peer: direct, then through the broker, then through a relay",
    auth: "MANAGE_PEERS",
    body: s.obj({ peer_id: s.str }),
    response: s.obj({
      peer_id: s.str,
      status: { enum: ["connected", "relayed", "failed"] },
      route: { enum: ["direct", "relay", null] },
      via: { type: ["string", "null"] },
      message: s.str,
      steps: {
        type: "array",
        items: s.obj({ step: { enum: ["direct", "broker", "relay"] }, ok: s.bool, detail: s.str }),
      },
    }, ["peer_id", "status", "steps"]),
  },
  {
    method: "get",
    path: "/messages",
    summary: "Direct and broadcast messages, newest first",
    auth: "READ_MESSAGES",
    query: {
      peer_id: s.str,
      channel_id: s.str,
      type: { enum: ["direct", "broadcast"] },
      since: { type: "string", description: "ISO 8601 date or epoch ms (received at or after)" },
      before: { type: "string", description: "ISO 8601 date or epoch ms (received before)" },
      limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
      cursor: { type: "integer", description: "next_cursor of the previous page" },
    },
    response: s.obj({
      messages: { type: "array", items: message },
      count: s.int,
      next_cursor: { type: ["integer", "null"] },
    }),
  },
  {
    method: "get",
    path: "/events",
    summary:
      "Server-Sent Events: message, delivery, peer_connected, peer_disconnected, peer_pending, peer_updated, peer_forgotten, peer_discovered, peer_lost, peer_introduced, profile_updated, channel, channel_message, relay_policy, relay_route",
    auth: "READ_MESSAGES",
    response: { type: "string", description: "text/event-stream" },
  },
  {
    method: "get",
    path: "/profile",
    summary: "This node's user profile (display name, bio, avatar)",
    auth: "any",
    response: userProfile,
  },
  {
    method: "post",
    path: "/profile",
    summary: "Change the user profile; re-broadcast to the mesh as a signed card",
    auth: "MANAGE_PEERS",
    body: s.obj({ display_name: s.str, bio: s.str, avatar: avatarSchema }, []),
    response: userProfile,
  },
  {
    method: "get",
    path: "/device/profile",
    summary: "This node's device profile (device name, description, avatar)",
    auth: "any",
    response: deviceProfile,
  },
  {
    method: "post",
    path: "/device/profile",
    summary: "Change the device profile",
    auth: "MANAGE_PEERS",
    body: s.obj({ device_name: s.str, description: s.str, avatar: avatarSchema }, []),
    response: deviceProfile,
  },
  {
    method: "get",
    path: "/channels",
    summary: "Channels known mesh-wide, with their originating device",
    auth: "READ_MESSAGES",
    response: s.obj({ channels: { type: "array", items: channel } }),
  },
  {
    method: "post",
    path: "/channels",
    summary: "Create a channel owned by this node",
    auth: "WRITE_MESSAGES",
    body: s.obj({ name: s.str, description: s.str }, ["name"]),
    status: 201,
    response: channel,
  },
  {
    method: "get",
    path: "/channels/{id}/messages",
    summary: "Posts of a channel, newest first",
    auth: "READ_MESSAGES",
    query: { since: s.str, before: s.str, limit: s.int, cursor: s.int },
    response: s.obj({
      messages: { type: "array", items: post },
      count: s.int,
      next_cursor: { type: ["integer", "null"] },
    }),
  },
  {
    method: "post",
    path: "/channels/{id}/messages",
    summary: "Post to a channel",
    auth: "WRITE_MESSAGES",
    body: s.obj({ content: s.str }),
    status: 201,
    response: post,
  },
  {
    method: "get",
    path: "/keys",
    summary: "List API keys (never their secrets)",
    auth: "MANAGE_KEYS",
    response: s.obj({ keys: { type: "array", items: apiKey } }),
  },
  {
    method: "post",
    path: "/keys",
    summary: "Create an API key; the key is in this response only",
    auth: "MANAGE_KEYS",
    body: s.obj({
      name: s.str,
      permissions: { oneOf: [s.strs, s.str], description: 'List of permissions, or "all"' },
      expires_days: s.int,
    }, ["name"]),
    status: 201,
    response: { allOf: [apiKey, s.obj({ key: s.str })] },
  },
  {
    method: "delete",
    path: "/keys/{id}",
    summary: "Revoke an API key",
    auth: "MANAGE_KEYS",
    response: apiKey,
  },
  ...AUTH_OPERATIONS,
];

const errorSchema = s.obj({ error: s.str, code: s.str }, ["error", "code"]);

/** Builds the OpenAPI document. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: s.str,
      })),
      ...Object.entries(op.query ?? {}).map(([name, schema]) => ({ name, in: "query", schema })),
    ];
    const responses: Record<string, unknown> = {
      [String(op.status ?? 200)]: {
        description: "Success",
        content: { "application/json": { schema: op.response } },
      },
      default: {
        description: "Error",
        content: { "application/json": { schema: errorSchema } },
      },
    };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { "application/json": { schema: op.body } } } }
        : {}),
      ...(op.auth === "none"
        ? { security: [] }
        : op.auth === "optional"
        ? { security: [{}, { apiKey: [] }, { bearer: [] }, { session: [] }] }
        : {}),
      ...(op.auth !== "none" && op.auth !== "optional" && op.auth !== "any"
        ? { "x-permission": op.auth }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Canopy node API",
      version,
      description: "Local REST API of a Canopy node. Errors are {error, code}.",
    },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        bearer: { type: "http", scheme: "bearer" },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "canopy_session",
          description: "Web session from /auth/login; state-changing calls also need " +
            "the session's X-CSRF-Token header",
        },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }, { session: [] }],
    paths,
  };
}
