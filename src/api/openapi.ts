/**
 * The OpenAPI 3.1 description served at `/api/v1/openapi.json`. Each route
 * the API registers must appear here (tests/integration checks it against
 * the router), so new routes add an entry in `OPERATIONS`.
 * @module
 */

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
  route: { enum: ["direct", null] },
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
        items: s.obj({ peer_id: s.str, address: s.str, port: s.int, connected: s.bool }),
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
    },
    response: s.obj({ messages: { type: "array", items: message }, count: s.int }),
  },
  {
    method: "get",
    path: "/events",
    summary:
      "Server-Sent Events: message, delivery, peer_connected, peer_disconnected, peer_pending, peer_updated",
    auth: "READ_MESSAGES",
    response: { type: "string", description: "text/event-stream" },
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
        ? { security: [{}, { apiKey: [] }, { bearer: [] }] }
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
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  };
}
