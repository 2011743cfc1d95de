/**
 * Freezes our own handshake and envelope transcripts as vectors (run once,
 * commit the output; the tests never regenerate them):
 *
 *   deno run -A tests/vectors/canopy/_generate.ts [--force]
 *
 * writes `handshake_transcript.json` and `envelope_vectors.json` beside this
 * file. Every key, id, timestamp, ephemeral and nonce is fixed (keys are
 * SHA-256 of a label), and Ed25519 signatures are deterministic, so a run
 * gives the same bytes every time. Without `--force` existing files are left
 * alone: changing them means the wire format changed.
 * @module
 */
import {
  ed25519PublicKey,
  importSigningKey,
  sha256,
  x25519PublicKey,
} from "../../../src/crypto/mod.ts";
import { peerIdOf } from "../../../src/identity/peer_id.ts";
import { bindingMessage } from "../../../src/mesh/handshake.ts";
import {
  captureHandshakePayloads,
  ephemeralPublicOf,
  type HandshakeTranscript,
  localIdentityOf,
  runTranscript,
  type SideKeys,
  type TranscriptEnvelope,
  type TranscriptFrame,
  type TranscriptSide,
} from "../../../src/mesh/_handshake_transcript.ts";
import {
  type EnvelopeVector,
  type EnvelopeVectorFile,
  fixedSealedBox,
} from "../../../src/mesh/wire/_envelope_vectors.ts";
import {
  BROADCAST_STREAM,
  directStream,
  type Envelope,
  type EnvelopeDraft,
  Kind,
  sealEnvelope,
} from "../../../src/mesh/wire/envelope.ts";
import { encodeEnvelopeFrame, encodePing } from "../../../src/mesh/wire/frame.ts";
import { concatBytes, fromHex, fromUtf8, toHex, utf8 } from "../../../src/util/bytes.ts";

const HERE = new URL("./", import.meta.url);
const EMPTY = new Uint8Array(0);

/** 32 fixed bytes named by a label. */
const fixed = (label: string, length = 32) =>
  sha256(utf8(`canopy vectors: ${label}`)).slice(0, length);

function sideKeys(name: string, endpoints: string[]): SideKeys {
  return {
    ed25519Seed: fixed(`${name} ed25519 seed`),
    x25519Static: fixed(`${name} x25519 static`),
    x25519Ephemeral: fixed(`${name} x25519 ephemeral`),
    endpoints,
  };
}

async function describeSide(keys: SideKeys): Promise<TranscriptSide> {
  const id = await localIdentityOf(keys);
  return {
    ed25519_seed_hex: toHex(keys.ed25519Seed),
    x25519_static_private_hex: toHex(keys.x25519Static),
    x25519_ephemeral_private_hex: toHex(keys.x25519Ephemeral),
    ed25519_public_hex: toHex(id.signing.publicKey),
    x25519_static_public_hex: toHex(id.agreement.publicKey),
    x25519_ephemeral_public_hex: toHex(ephemeralPublicOf(keys)),
    peer_id: id.peerId,
    bind_hex: toHex(await id.signing.sign(bindingMessage(id.agreement.publicKey))),
    endpoints: [...keys.endpoints],
  };
}

/** The header fields both vector files list for an envelope, in their order. */
function headerOf(draft: EnvelopeDraft, env: Envelope) {
  return {
    kind: draft.kind,
    ttl: env.ttl,
    id_hex: toHex(draft.id),
    timestamp: draft.timestamp,
    seq: draft.seq,
    stream: draft.stream,
    to: draft.to ?? "",
  };
}

async function transcriptEnvelope(
  seed: Uint8Array,
  draft: EnvelopeDraft,
): Promise<TranscriptEnvelope> {
  const env = await sealEnvelope(draft, await importSigningKey(seed));
  return {
    ...headerOf(draft, env),
    body_utf8: fromUtf8(draft.body),
    envelope_hex: toHex(env.bytes),
  };
}

async function handshakeTranscript(): Promise<HandshakeTranscript> {
  const alice = sideKeys("transcript initiator", ["ws://192.0.2.10:7771"]);
  const bob = sideKeys("transcript responder", []);
  const { payloads } = await captureHandshakePayloads(alice, bob);
  const run = await runTranscript(alice, bob, payloads);
  const [aliceSide, bobSide] = await Promise.all([describeSide(alice), describeSide(bob)]);

  const frame = (
    cipher: { encryptWithAd(ad: Uint8Array, p: Uint8Array): Uint8Array },
    f: Omit<TranscriptFrame, "ciphertext_hex" | "plaintext_hex">,
    plaintext: Uint8Array,
  ): TranscriptFrame => ({
    ...f,
    plaintext_hex: toHex(plaintext),
    ciphertext_hex: toHex(cipher.encryptWithAd(EMPTY, plaintext)),
  });
  const aliceEnvelope = await transcriptEnvelope(alice.ed25519Seed, {
    kind: Kind.Broadcast,
    id: fixed("transcript initiator envelope id", 16),
    timestamp: 1_735_689_600_000,
    seq: 1,
    stream: BROADCAST_STREAM,
    body: utf8(JSON.stringify({ text: "Hello from Machine A!" })),
  });
  const bobEnvelope = await transcriptEnvelope(bob.ed25519Seed, {
    kind: Kind.Broadcast,
    id: fixed("transcript responder envelope id", 16),
    timestamp: 1_735_689_600_250,
    seq: 1,
    stream: BROADCAST_STREAM,
    body: utf8(JSON.stringify({ text: "Hello from Machine B!" })),
  });
  const envFrame = (e: TranscriptEnvelope) => encodeEnvelopeFrame(fromHex(e.envelope_hex));

  return {
    about: "A Canopy link handshake (docs/PROTOCOL.md §2) and its first transport frames (§3), " +
      "frozen by tests/vectors/canopy/_generate.ts from our own code. Both sides use fixed " +
      "static and ephemeral keys (SHA-256 of labels); the payloads are the bytes " +
      "src/mesh/handshake.ts writes. Messages and frames are hex; frames are " +
      "ChaCha20-Poly1305 with the Noise transport keys and counter nonces from 0. The " +
      "responder's first frame is the welcome PING 0 (§2), which the initiator answers " +
      "with PONG 0; then each side sends a broadcast envelope.",
    protocol_name: "Noise_XX_25519_ChaChaPoly_SHA256",
    prologue_hex: toHex(utf8("canopy-mesh")),
    initiator: aliceSide,
    responder: bobSide,
    messages: [
      { from: "initiator", tokens: "e", payload: payloads[0], message: run.messages[0] },
      { from: "responder", tokens: "e, ee, s, es", payload: payloads[1], message: run.messages[1] },
      { from: "initiator", tokens: "s, se", payload: payloads[2], message: run.messages[2] },
    ].map((m) => ({
      from: m.from as "initiator" | "responder",
      tokens: m.tokens,
      payload_utf8: fromUtf8(m.payload),
      message_hex: toHex(m.message),
    })),
    handshake_hash_hex: toHex(run.handshakeHash),
    transport: {
      initiator_to_responder: [
        frame(run.initiator.send, { frame: "pong", nonce: 0 }, encodePing(0, true)),
        frame(
          run.initiator.send,
          { frame: "envelope", envelope: aliceEnvelope },
          envFrame(aliceEnvelope),
        ),
      ],
      responder_to_initiator: [
        frame(run.responder.send, { frame: "ping", nonce: 0 }, encodePing(0)),
        frame(
          run.responder.send,
          { frame: "envelope", envelope: bobEnvelope },
          envFrame(bobEnvelope),
        ),
      ],
    },
  };
}

async function envelopeVector(
  name: string,
  seed: Uint8Array,
  draft: EnvelopeDraft,
  extra: Partial<EnvelopeVector> = {},
): Promise<EnvelopeVector> {
  const key = await importSigningKey(seed);
  const env = await sealEnvelope(draft, key);
  const signed = concatBytes(
    utf8("canopy-envelope/1\0"),
    env.bytes.subarray(0, 2),
    env.bytes.subarray(3, env.bytes.length - 64),
  );
  return {
    name,
    ed25519_seed_hex: toHex(seed),
    origin_public_hex: toHex(key.publicKey),
    origin_peer_id: peerIdOf(key.publicKey),
    ...headerOf(draft, env),
    body_hex: toHex(draft.body),
    ...extra,
    signed_hex: toHex(signed),
    envelope_hex: toHex(env.bytes),
  };
}

async function envelopeVectors(): Promise<EnvelopeVectorFile> {
  const aliceSeed = fixed("envelope alice ed25519 seed");
  const bobSeed = fixed("envelope bob ed25519 seed");
  const bobX25519 = fixed("envelope bob x25519 static");
  const alice = peerIdOf(ed25519PublicKey(aliceSeed));
  const bob = peerIdOf(ed25519PublicKey(bobSeed));
  const dm = directStream(alice, bob);

  const directId = fixed("envelope direct id", 16);
  const sealed = {
    recipient_x25519_private_hex: toHex(bobX25519),
    recipient_x25519_public_hex: toHex(x25519PublicKey(bobX25519)),
    ephemeral_x25519_private_hex: toHex(fixed("envelope direct seal ephemeral")),
    nonce_hex: toHex(fixed("envelope direct seal nonce", 24)),
    plaintext_utf8: JSON.stringify({ text: "Hello peer!" }),
  };
  const directBody = await fixedSealedBox(
    x25519PublicKey(bobX25519),
    fixed("envelope direct seal ephemeral"),
    fixed("envelope direct seal nonce", 24),
    utf8(sealed.plaintext_utf8),
    directId,
  );
  const broadcastBody = JSON.stringify({ text: "Hello from Machine B!" });
  const receiptBody = JSON.stringify({ ids: [toHex(directId)] });
  return {
    about: "Canopy envelopes (docs/PROTOCOL.md §4) frozen by tests/vectors/canopy/_generate.ts " +
      "from our own code: fixed Ed25519 seeds (SHA-256 of labels), ids, timestamps, sequence " +
      "numbers, streams and bodies, and the exact bytes they give. signed_hex is the canonical " +
      "signed message of §4.2. The kind 1 body is a sealed box (§6) to the recipient's X25519 " +
      "key with a fixed ephemeral key and nonce and the envelope id as AAD; the kind 6 receipt " +
      "acknowledges it.",
    vectors: [
      await envelopeVector("direct message (kind 1)", aliceSeed, {
        kind: Kind.Direct,
        id: directId,
        timestamp: 1_735_689_600_000,
        seq: 1,
        stream: dm,
        to: bob,
        body: directBody,
      }, { sealed_box: sealed }),
      await envelopeVector("broadcast (kind 2), forwarded: TTL 3", aliceSeed, {
        kind: Kind.Broadcast,
        ttl: 3,
        id: fixed("envelope broadcast id", 16),
        timestamp: 1_735_689_601_000,
        seq: 42,
        stream: BROADCAST_STREAM,
        body: utf8(broadcastBody),
      }, { body_utf8: broadcastBody }),
      await envelopeVector("delivery receipt (kind 6)", bobSeed, {
        kind: Kind.Receipt,
        id: fixed("envelope receipt id", 16),
        timestamp: 1_735_689_602_000,
        seq: 1,
        stream: dm,
        to: alice,
        body: utf8(receiptBody),
      }, { body_utf8: receiptBody }),
    ],
  };
}

async function write(name: string, value: unknown, force: boolean): Promise<void> {
  const url = new URL(name, HERE);
  const exists = await Deno.stat(url).then(() => true, () => false);
  if (exists && !force) {
    console.log(`${name}: exists, left alone (--force overwrites)`);
    return;
  }
  await Deno.writeTextFile(url, JSON.stringify(value, null, 1) + "\n");
  console.log(`${name}: written`);
}

if (import.meta.main) {
  const force = Deno.args.includes("--force");
  await write("handshake_transcript.json", await handshakeTranscript(), force);
  await write("envelope_vectors.json", await envelopeVectors(), force);
}
