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
