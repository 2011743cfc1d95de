/**
 * Crypto backend benchmark: @noble/* against WebCrypto for every primitive
 * src/crypto wraps, so the choice of backend per primitive rests on figures.
 *
 *   deno run -A bench/crypto.ts
 *
 * Each case runs until it has done `maxIterations` operations or spent
 * `timeMs`, whichever comes first. Async (WebCrypto) cases are awaited one at
 * a time: that is how the node calls them (one frame, one signature).
 * @module
 */
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { importAgreementKey, openSealed, seal } from "../src/crypto/mod.ts";
import { utf8 } from "../src/util/bytes.ts";

/** Time budget of one case (one backend, one operation), in milliseconds. */
export const BENCH_TIME_MS = 1000;
/** Iteration cap of one case, whatever the time. */
export const BENCH_MAX_ITERATIONS = 1_000_000;
/** Untimed calls before each case, to let the JIT settle. */
export const BENCH_WARMUP_ITERATIONS = 50;

/** One line of the result table. */
export interface Row {
  /** What was measured, e.g. "Ed25519 sign". */
  operation: string;
  /** Operations per second with @noble/*, or null when not measured. */
  noble: number | null;
  /** Operations per second with WebCrypto, or null when WebCrypto lacks it. */
  webcrypto: number | null;
  /** webcrypto ÷ noble (above 1: WebCrypto is faster), or null. */
  ratio: number | null;
  /** The backend src/crypto uses for this operation. */
  uses: string;
}

/** Options of {@link runCryptoBench}. */
export interface CryptoBenchOptions {
  /** Time budget per case in ms (default {@link BENCH_TIME_MS}). */
  timeMs?: number;
  /** Iteration cap per case (default {@link BENCH_MAX_ITERATIONS}). */
  maxIterations?: number;
}

type Op = () => unknown;

/** Random bytes typed for WebCrypto (which wants an `ArrayBuffer`-backed view). */
function bytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Operations per second of `op`, bounded by count and by time. */
async function measure(op: Op, timeMs: number, maxIterations: number): Promise<number> {
  for (let i = 0; i < BENCH_WARMUP_ITERATIONS; i++) await op();
  const start = performance.now();
  const deadline = start + timeMs;
  let n = 0;
  while (n < maxIterations) {
    const r = op();
    if (r instanceof Promise) await r;
    n++;
    // Reading the clock costs about as much as a short hash: look every 8 calls.
    if ((n & 7) === 0 && performance.now() >= deadline) break;
  }
  return n / ((performance.now() - start) / 1000);
}

// A pure-@noble sealed box with the byte layout of src/crypto/sealed_box.ts,
// to compare against the shipped one (WebCrypto X25519 + @noble HKDF/XChaCha).
const SEAL_INFO = utf8("canopy/seal/v1");
function nobleSeal(recipient: Uint8Array, pt: Uint8Array): Uint8Array {
  const eph = nobleX25519.utils.randomSecretKey();
  const ephPub = nobleX25519.getPublicKey(eph);
  const salt = new Uint8Array(64);
  salt.set(ephPub);
  salt.set(recipient, 32);
  const key = hkdf(sha256, nobleX25519.getSharedSecret(eph, recipient), salt, SEAL_INFO, 32);
  const nonce = bytes(24);
  const ct = xchacha20poly1305(key, nonce).encrypt(pt);
  const out = new Uint8Array(57 + ct.length);
  out[0] = 1;
  out.set(ephPub, 1);
  out.set(nonce, 33);
  out.set(ct, 57);
  return out;
}
function nobleOpen(secret: Uint8Array, recipient: Uint8Array, box: Uint8Array): Uint8Array {
  const ephPub = box.subarray(1, 33);
  const salt = new Uint8Array(64);
  salt.set(ephPub);
  salt.set(recipient, 32);
  const key = hkdf(sha256, nobleX25519.getSharedSecret(secret, ephPub), salt, SEAL_INFO, 32);
  return xchacha20poly1305(key, box.subarray(33, 57)).decrypt(box.subarray(57));
}

/** Runs every case and returns the table rows (about 1 s per measured cell by default). */
export async function runCryptoBench(options: CryptoBenchOptions = {}): Promise<Row[]> {
  const timeMs = options.timeMs ?? BENCH_TIME_MS;
  const maxIterations = options.maxIterations ?? BENCH_MAX_ITERATIONS;
  const subtle = crypto.subtle;
  const msg = bytes(100);

  const edSeed = ed25519.utils.randomSecretKey();
  const edPub = ed25519.getPublicKey(edSeed);
  const edSig = ed25519.sign(msg, edSeed);
  const edPair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
  const edSigWc = new Uint8Array(await subtle.sign("Ed25519", edPair.privateKey, msg));

  const xSecret = nobleX25519.utils.randomSecretKey();
  const xPeer = nobleX25519.getPublicKey(nobleX25519.utils.randomSecretKey());
  const xPair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]) as CryptoKeyPair;
  const xPeerKey = await subtle.importKey("raw", xPeer, { name: "X25519" }, false, []);

  const data64 = bytes(64);
  const data1k = bytes(1024);
  const ikm = bytes(32);
  const salt = bytes(32);
  const info = new Uint8Array(utf8("canopy/bench"));
  const hkdfKey = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const hkdfParams = { name: "HKDF", hash: "SHA-256", salt, info };

  const recipient = await importAgreementKey(xSecret);
  const pt1k = bytes(1024);
  const box = await seal(recipient.publicKey, pt1k);

  const cases: [string, Op, Op | null, string][] = [
    [
      "Ed25519 sign",
      () => ed25519.sign(msg, edSeed),
      () => subtle.sign("Ed25519", edPair.privateKey, msg),
      "webcrypto",
    ],
    [
      "Ed25519 verify",
      () => ed25519.verify(edSig, msg, edPub, { zip215: false }),
      () => subtle.verify("Ed25519", edPair.publicKey, edSigWc, msg),
      "webcrypto",
    ],
    [
      "X25519 agreement",
      () => nobleX25519.getSharedSecret(xSecret, xPeer),
      () => subtle.deriveBits({ name: "X25519", public: xPeerKey }, xPair.privateKey, 256),
      "webcrypto",
    ],
    [
      "X25519 key generation",
      () => nobleX25519.getPublicKey(nobleX25519.utils.randomSecretKey()),
      async () => {
        const p = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
        return subtle.exportKey("raw", (p as CryptoKeyPair).publicKey);
      },
      "webcrypto (ephemeral), noble (from secret)",
    ],
    ["SHA-256 64 B", () => sha256(data64), () => subtle.digest("SHA-256", data64), "noble"],
    ["SHA-256 1 KiB", () => sha256(data1k), () => subtle.digest("SHA-256", data1k), "noble"],
    [
      "HKDF-SHA-256 32 B",
      () => hkdf(sha256, ikm, salt, info, 32),
      () => subtle.deriveBits(hkdfParams, hkdfKey, 256),
      "noble",
    ],
    [
      "sealed box seal 1 KiB",
      () => nobleSeal(recipient.publicKey, pt1k),
      () => seal(recipient.publicKey, pt1k),
      "webcrypto X25519 + noble",
    ],
    [
      "sealed box open 1 KiB",
      () => nobleOpen(xSecret, recipient.publicKey, box),
      () => openSealed(recipient, box),
      "webcrypto X25519 + noble",
    ],
  ];
  for (const size of [100, 1024]) {
    const pt = bytes(size);
    const key = bytes(32);
    const n12 = bytes(12);
    const n24 = bytes(24);
    const ct12 = chacha20poly1305(key, n12).encrypt(pt);
    const ct24 = xchacha20poly1305(key, n24).encrypt(pt);
    const label = size === 100 ? "100 B" : "1 KiB";
    cases.push(
      [
        `ChaCha20-Poly1305 seal ${label}`,
        () => chacha20poly1305(key, n12).encrypt(pt),
        null,
        "noble",
      ],
      [
        `ChaCha20-Poly1305 open ${label}`,
        () => chacha20poly1305(key, n12).decrypt(ct12),
        null,
        "noble",
      ],
      [
        `XChaCha20-Poly1305 seal ${label}`,
        () => xchacha20poly1305(key, n24).encrypt(pt),
        null,
        "noble",
      ],
      [
        `XChaCha20-Poly1305 open ${label}`,
        () => xchacha20poly1305(key, n24).decrypt(ct24),
        null,
        "noble",
      ],
    );
  }
  // A failing verification can be faster than a passing one: time only passing ones.
  const nobleOk = ed25519.verify(edSig, msg, edPub, { zip215: false });
  if (!nobleOk || !(await subtle.verify("Ed25519", edPair.publicKey, edSigWc, msg))) {
    throw new Error("bug: benchmark signatures do not verify");
  }

  const rows: Row[] = [];
  for (const [operation, noble, web, uses] of cases) {
    const n = await measure(noble, timeMs, maxIterations);
    const w = web ? await measure(web, timeMs, maxIterations) : null;
    rows.push({ operation, noble: n, webcrypto: w, ratio: w === null ? null : w / n, uses });
  }
  return rows;
}

/** Formats rows as a fixed-width text table. */
export function formatTable(rows: Row[]): string {
  const fmt = (n: number | null) => (n === null ? "—" : Math.round(n).toLocaleString("en-US"));
  const head = ["operation", "noble ops/s", "webcrypto ops/s", "web/noble", "src/crypto uses"];
  const body = rows.map((r) => [
    r.operation,
    fmt(r.noble),
    fmt(r.webcrypto),
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    r.uses,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

if (import.meta.main) {
  console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.target}`);
  console.log(formatTable(await runCryptoBench()));
}
