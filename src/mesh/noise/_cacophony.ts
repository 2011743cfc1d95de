/**
 * Test support, not shipped behaviour: loads the cacophony known-answer
 * vectors (tests/vectors/noise/) and builds both sides of one. Kept out of
 * the `*_test.ts` files so that several test files can share it without
 * registering each other's tests.
 * @module
 */
import { fromHex } from "../../util/bytes.ts";
import { HandshakeState } from "./handshake_state.ts";

/** One vector, field names as in cacophony's `vectors/cacophony.txt`. */
export interface CacophonyVector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  init_psks?: string[];
  resp_prologue: string;
  resp_static?: string;
  /** Absent for one-way patterns, whose responder makes no ephemeral. */
  resp_ephemeral?: string;
  resp_remote_static?: string;
  resp_psks?: string[];
  handshake_hash: string;
  /** Handshake messages, then transport messages, in cacophony's order. */
  messages: { payload: string; ciphertext: string }[];
}

const FILE = new URL(
  "../../../tests/vectors/noise/cacophony_25519_ChaChaPoly_SHA256.json",
  import.meta.url,
);

/** Reads every vector from the file (needs read permission on tests/vectors). */
export async function loadCacophonyVectors(): Promise<CacophonyVector[]> {
  const { vectors } = JSON.parse(await Deno.readTextFile(FILE)) as {
    vectors: CacophonyVector[];
  };
  return vectors;
}

const hex = (h: string | undefined) => (h === undefined ? undefined : fromHex(h));

/** Both sides of a vector, with the vector's fixed ephemerals injected. */
export function vectorSides(v: CacophonyVector): {
  initiator: HandshakeState;
  responder: HandshakeState;
} {
  return {
    initiator: new HandshakeState({
      pattern: v.protocol_name,
      initiator: true,
      prologue: fromHex(v.init_prologue),
      s: hex(v.init_static),
      e: hex(v.init_ephemeral),
      rs: hex(v.init_remote_static),
      psks: v.init_psks?.map(fromHex),
    }),
    responder: new HandshakeState({
      pattern: v.protocol_name,
      initiator: false,
      prologue: fromHex(v.resp_prologue),
      s: hex(v.resp_static),
      e: hex(v.resp_ephemeral),
      rs: hex(v.resp_remote_static),
      psks: v.resp_psks?.map(fromHex),
    }),
  };
}
