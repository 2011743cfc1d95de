import assert from "node:assert/strict";
import { handshakePattern, parsePattern, PATTERN_NAMES } from "./patterns.ts";
import { parseProtocolName, protocolName } from "./protocol_name.ts";

Deno.test("patterns: the 3 one-way, 12 fundamental and 23 deferred patterns of §7.4–§7.6 parse", () => {
  assert.equal(PATTERN_NAMES.length, 38);
  for (const name of PATTERN_NAMES) {
    const p = handshakePattern(name);
    assert.equal(p.name, name);
    assert.equal(p.oneWay, ["N", "K", "X"].includes(name));
    assert.equal(p.pskCount, 0);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.messages[0].tokens));
  }
});

Deno.test("patterns: XX and IK read as in the spec", () => {
  assert.deepEqual(handshakePattern("XX"), {
    name: "XX",
    initiatorPreMessage: [],
    responderPreMessage: [],
    messages: [
      { fromInitiator: true, tokens: ["e"] },
      { fromInitiator: false, tokens: ["e", "ee", "s", "es"] },
      { fromInitiator: true, tokens: ["s", "se"] },
    ],
    oneWay: false,
    pskCount: 0,
  });
  const ik = handshakePattern("IK");
  assert.deepEqual(ik.responderPreMessage, ["s"]);
  assert.deepEqual(ik.messages.map((m) => m.tokens), [["e", "es", "s", "ss"], ["e", "ee", "se"]]);
  assert.deepEqual(handshakePattern("KK").initiatorPreMessage, ["s"]);
});

Deno.test("patterns: psk modifiers place the token (§9.4)", () => {
  assert.deepEqual(handshakePattern("NNpsk0").messages[0].tokens, ["psk", "e"]);
  assert.deepEqual(handshakePattern("NNpsk2").messages[1].tokens, ["e", "ee", "psk"]);
  assert.deepEqual(handshakePattern("XXpsk3").messages[2].tokens, ["s", "se", "psk"]);
  assert.deepEqual(handshakePattern("IKpsk1").messages[0].tokens, ["e", "es", "s", "ss", "psk"]);
  assert.deepEqual(handshakePattern("Npsk0").messages[0].tokens, ["psk", "e", "es"]);
  const two = handshakePattern("NNpsk0+psk2");
  assert.equal(two.pskCount, 2);
  assert.deepEqual(two.messages.map((m) => m.tokens), [["psk", "e"], ["e", "ee", "psk"]]);
});

Deno.test("patterns: unknown names and modifiers throw RangeError", () => {
  for (
    const bad of ["", "YY", "xx", "XXpsk4", "XXpsk3+psk3", "XXfallback", "XX+", "NNpsk", "toString"]
  ) {
    assert.throws(() => handshakePattern(bad), RangeError, bad);
  }
});

Deno.test("patterns: parsePattern refuses patterns that break §7.3", () => {
  const bad: Record<string, string> = {
    "DH before the key is sent": "-> e, ee | <- e",
    "DH with a static nobody has": "-> e | <- e, ee, es",
    "key sent twice": "-> e | <- e, ee | -> e",
    "wrong direction first": "<- e | -> e, ee",
    "not alternating": "-> e | -> s",
    "unknown token": "-> e, xx",
    "no arrow": "e, ee",
    "DH in a pre-message": "-> s, ss | ... | -> e",
    "no messages": "-> s | ...",
  };
  for (const [why, notation] of Object.entries(bad)) {
    assert.throws(() => parsePattern("bad", notation), RangeError, why);
  }
  const custom = parsePattern("NK-like", "<- s\n...\n-> e, es\n<- e, ee");
  assert.deepEqual(custom.messages, handshakePattern("NK").messages);
});

Deno.test("protocol names: only 25519_ChaChaPoly_SHA256 is accepted (§8)", () => {
  const parsed = parseProtocolName("Noise_XXpsk3_25519_ChaChaPoly_SHA256");
  assert.equal(parsed.pattern.name, "XXpsk3");
  assert.equal(protocolName("XX"), "Noise_XX_25519_ChaChaPoly_SHA256");
  for (
    const bad of [
      "Noise_XX_448_ChaChaPoly_SHA256",
      "Noise_XX_25519_AESGCM_SHA256",
      "Noise_XX_25519_ChaChaPoly_BLAKE2s",
      "NoisePSK_XX_25519_ChaChaPoly_SHA256",
      "Noise_XX_25519_ChaChaPoly",
      "Noise_ZZ_25519_ChaChaPoly_SHA256",
      `Noise_XX${"+psk1".repeat(60)}_25519_ChaChaPoly_SHA256`,
    ]
  ) {
    assert.throws(() => parseProtocolName(bad), RangeError, bad);
  }
});
