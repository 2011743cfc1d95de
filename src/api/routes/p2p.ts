/**
 * The `/p2p/*` routes of the seed guide (SPEC §8), with its exact request
 * and response fields.
 * @module
 */
import { Hono } from "hono";
import type { ApiEnv } from "../env.ts";
import type { ApiDeps } from "../ports.ts";
import { requirePermission } from "../auth.ts";
import { readJsonObject } from "../body.ts";
import { oneOf, optBool, optHost, optInt, str } from "../validate.ts";
import { RELAY_POLICIES } from "../../config/config.ts";
import { invalidField } from "../../util/errors.ts";
import { isPeerId } from "../../identity/peer_id.ts";

function peerIdField(body: Record<string, unknown>): string {
  const id = str(body, "peer_id", { max: 16 });
  if (!isPeerId(id)) throw invalidField("peer_id", "peer_id must be a 16-character peer id");
  return id;
}

/** Peer-to-peer routes. */
export function p2pRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const any = requirePermission(deps.auth);
  const manage = requirePermission(deps.auth, "MANAGE_PEERS");
  const write = requirePermission(deps.auth, "WRITE_MESSAGES");

  app.get("/status", (c) => c.json(deps.node.status()));
  app.get("/invite", any, (c) => {
    const query = c.req.query();
    const publicHost = optHost(query, "public_host");
    const publicPort = optInt(query, "public_port", 1, 65535);
    return c.json(deps.node.invite({ publicHost, publicPort }));
  });
  app.get("/peers", any, (c) => c.json(deps.peers.list()));
  app.post("/invite/import", manage, async (c) => {
    const body = await readJsonObject(c);
    const code = str(body, "invite_code", { max: 8192 });
    return c.json(await deps.peers.importInvite(code));
  });
  app.post("/send", write, async (c) => {
    const body = await readJsonObject(c);
    const content = str(body, "content", { max: 65_536, trim: false });
    const broadcast = optBool(body, "broadcast") ?? false;
    if (broadcast) {
      if (body.peer_id !== undefined && body.peer_id !== null) {
        throw invalidField("peer_id", "Send either broadcast: true or a peer_id, not both");
      }
      const { view, peers } = await deps.messages.sendBroadcast(content);
      return c.json({
        success: true,
        message: `Broadcast sent to ${peers} connected peer${peers === 1 ? "" : "s"}`,
        broadcast: true,
        message_id: view.id,
        peers_reached: peers,
      });
    }
    if (body.peer_id === undefined || body.peer_id === null) {
      throw invalidField("peer_id", "Provide a peer_id, or broadcast: true");
    }
    const peerId = peerIdField(body);
    const sent = await deps.messages.sendDirect(peerId, content);
    return c.json({
      success: true,
      message: sent.state === "queued"
        ? "Message queued for delivery to peer"
        : "Message sent to peer",
      peer_id: peerId,
      message_id: sent.id,
      state: sent.state,
    });
  });
  app.post(
    "/connect_discovered",
    manage,
    async (c) => c.json(await deps.peers.connectDiscovered(peerIdField(await readJsonObject(c)))),
  );
  app.post(
    "/reconnect",
    manage,
    async (c) => c.json(await deps.peers.reconnect(peerIdField(await readJsonObject(c)))),
  );
  app.post("/reconnect_all", manage, async (c) => {
    await readJsonObject(c, { allowEmpty: true });
    return c.json(await deps.peers.reconnectAll());
  });
  app.post(
    "/disconnect",
    manage,
    async (c) => c.json(deps.peers.disconnect(peerIdField(await readJsonObject(c)))),
  );
  app.post(
    "/forget",
    manage,
    async (c) => c.json(deps.peers.forget(peerIdField(await readJsonObject(c)))),
  );
  app.post(
    "/accept",
    manage,
    async (c) => c.json(deps.peers.accept(peerIdField(await readJsonObject(c)))),
  );
  app.post(
    "/block",
    manage,
    async (c) => c.json(deps.peers.block(peerIdField(await readJsonObject(c)))),
  );
  app.get("/relay_status", any, (c) => c.json(deps.relay.status()));
  app.post("/relay_policy", manage, async (c) => {
    const body = await readJsonObject(c);
    const policy = oneOf(body, "policy", RELAY_POLICIES);
    return c.json({ success: true, ...deps.relay.setPolicy(policy) });
  });
  app.get("/introduced", any, (c) => c.json({ introduced: deps.relay.introduced() }));
  app.post(
    "/connect_introduced",
    manage,
    async (c) => c.json(await deps.relay.connectIntroduced(peerIdField(await readJsonObject(c)))),
  );
  return app;
}
