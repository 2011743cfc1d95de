/**
 * A puppet mesh peer inside the test process: it speaks the real protocol
 * (our WebSocket transport, handshake and link) but sends whatever bytes a
 * test tells it to — replays, forgeries — so a node's defences can be
 * checked from the outside.
 * @module
 */
import { wsTransport } from "../../src/mesh/ws_transport.ts";
import { initiate, type LocalIdentity } from "../../src/mesh/handshake.ts";
import { Link, type LinkHandler } from "../../src/mesh/link.ts";
import { Counters } from "../../src/mesh/counters.ts";
import { testIdentity } from "../../src/mesh/_test_identity.ts";
import type { ControlMessage } from "../../src/mesh/wire/frame.ts";

/** A puppet and its links. */
export interface Puppet {
  readonly identity: LocalIdentity;
  /** Envelopes received, by link peer. */
  readonly received: Map<string, Uint8Array[]>;
  readonly controls: ControlMessage[];
  dial(endpoint: string, expectedPeerId: string): Promise<Link>;
  close(): Promise<void>;
}

/** Creates a puppet with a fresh identity. */
export async function puppet(): Promise<Puppet> {
  const identity = await testIdentity({ name: "puppet", endpoints: [] });
  const received = new Map<string, Uint8Array[]>();
  const controls: ControlMessage[] = [];
  const links: Link[] = [];
  const handler: LinkHandler = {
    onEnvelope(link, bytes) {
      const list = received.get(link.peerId) ?? [];
      list.push(bytes.slice());
      received.set(link.peerId, list);
      return Promise.resolve();
    },
    onRelayed: () => Promise.resolve(),
    onControl: (_l, m) => void controls.push(m),
    onClose: () => {},
  };
  const transport = wsTransport();
  return {
    identity,
    received,
    controls,
    async dial(endpoint, expectedPeerId) {
      const conn = await transport.dial(endpoint, { timeoutMs: 5000 });
      const hs = await initiate(conn, identity, { expectedPeerId });
      const link = new Link(conn, hs.remote, true, hs.send, hs.receive, handler, new Counters());
      link.start();
      links.push(link);
      return link;
    },
    async close() {
      for (const l of links) l.close(1000, "puppet done");
      await Promise.all(links.map((l) => l.conn.closed));
    },
  };
}
