/**
 * Handshake patterns as data (Noise spec rev. 34, §7) and the psk modifiers
 * (§9.4). The table below is the spec's own notation, parsed once at load:
 * §7.4 one-way, §7.5 interactive fundamental and §7.6 interactive deferred
 * patterns. Parsing checks the validity rules of §7.3 that a typo would break.
 * @module
 */

/** A token of a message pattern (§7.1, §9.2). */
export type Token = "e" | "s" | "ee" | "es" | "se" | "ss" | "psk";

/** One handshake message: who sends it and the tokens it carries (§7.1). */
export interface MessagePattern {
  /** `true` for "->" (initiator to responder), `false` for "<-". */
  readonly fromInitiator: boolean;
  /** Tokens in order. */
  readonly tokens: readonly Token[];
}

/** A parsed handshake pattern, modifiers applied. */
export interface HandshakePattern {
  /** Pattern name with modifiers, e.g. `"XXpsk3"`. */
  readonly name: string;
  /** Keys the responder knows of the initiator before the handshake ("->" pre-message). */
  readonly initiatorPreMessage: readonly ("e" | "s")[];
  /** Keys the initiator knows of the responder before the handshake ("<-" pre-message). */
  readonly responderPreMessage: readonly ("e" | "s")[];
  /** The handshake messages, alternating, first from the initiator. */
  readonly messages: readonly MessagePattern[];
  /** One-way patterns (§7.4): only the initiator→responder key is used after Split. */
  readonly oneWay: boolean;
  /** How many "psk" tokens the pattern has (0 unless a psk modifier is applied). */
  readonly pskCount: number;
}

const TOKENS: ReadonlySet<string> = new Set(["e", "s", "ee", "es", "se", "ss", "psk"]);

/** §7.4, §7.5, §7.6 in the spec's notation; "..." ends the pre-messages. */
const TABLE: Readonly<Record<string, string>> = {
  // §7.4 One-way handshake patterns
  N: "<- s | ... | -> e, es",
  K: "-> s | <- s | ... | -> e, es, ss",
  X: "<- s | ... | -> e, es, s, ss",
  // §7.5 Interactive handshake patterns (fundamental)
  NN: "-> e | <- e, ee",
  NK: "<- s | ... | -> e, es | <- e, ee",
  NX: "-> e | <- e, ee, s, es",
  XN: "-> e | <- e, ee | -> s, se",
  XK: "<- s | ... | -> e, es | <- e, ee | -> s, se",
  XX: "-> e | <- e, ee, s, es | -> s, se",
  KN: "-> s | ... | -> e | <- e, ee, se",
  KK: "-> s | <- s | ... | -> e, es, ss | <- e, ee, se",
  KX: "-> s | ... | -> e | <- e, ee, se, s, es",
  IN: "-> e, s | <- e, ee, se",
  IK: "<- s | ... | -> e, es, s, ss | <- e, ee, se",
  IX: "-> e, s | <- e, ee, se, s, es",
  // §7.6 Interactive handshake patterns (deferred)
  NK1: "<- s | ... | -> e | <- e, ee, es",
  NX1: "-> e | <- e, ee, s | -> es",
  X1N: "-> e | <- e, ee | -> s | <- se",
  X1K: "<- s | ... | -> e, es | <- e, ee | -> s | <- se",
  XK1: "<- s | ... | -> e | <- e, ee, es | -> s, se",
  X1K1: "<- s | ... | -> e | <- e, ee, es | -> s | <- se",
  X1X: "-> e | <- e, ee, s, es | -> s | <- se",
  XX1: "-> e | <- e, ee, s | -> es, s, se",
  X1X1: "-> e | <- e, ee, s | -> es, s | <- se",
  K1N: "-> s | ... | -> e | <- e, ee | -> se",
  K1K: "-> s | <- s | ... | -> e, es | <- e, ee | -> se",
  KK1: "-> s | <- s | ... | -> e | <- e, ee, se, es",
  K1K1: "-> s | <- s | ... | -> e | <- e, ee, es | -> se",
  K1X: "-> s | ... | -> e | <- e, ee, s, es | -> se",
  KX1: "-> s | ... | -> e | <- e, ee, se, s | -> es",
  K1X1: "-> s | ... | -> e | <- e, ee, s | -> se, es",
  I1N: "-> e, s | <- e, ee | -> se",
  I1K: "<- s | ... | -> e, es, s | <- e, ee | -> se",
  IK1: "<- s | ... | -> e, s | <- e, ee, se, es",
  I1K1: "<- s | ... | -> e, s | <- e, ee, es | -> se",
  I1X: "-> e, s | <- e, ee, s, es | -> se",
  IX1: "-> e, s | <- e, ee, se, s | -> es",
  I1X1: "-> e, s | <- e, ee, s | -> se, es",
};

const ONE_WAY: ReadonlySet<string> = new Set(["N", "K", "X"]);

/** Names of the base patterns this module knows (§7.4–§7.6). */
export const PATTERN_NAMES: readonly string[] = Object.freeze(Object.keys(TABLE));

/**
 * Parses a pattern in the spec's notation, lines separated by "|" or
 * newlines, e.g. `"<- s | ... | -> e, es | <- e, ee"`. Throws `RangeError`
 * for unknown tokens, messages that do not alternate starting with "->",
 * or a break of §7.3 rules 1–2 (a DH with a key not yet known to both
 * sides, a key sent twice).
 */
export function parsePattern(name: string, notation: string, oneWay = false): HandshakePattern {
  const lines = notation.split(/[|\n]/).map((l) => l.trim()).filter((l) => l !== "");
  const dots = lines.indexOf("...");
  const pre = dots < 0 ? [] : lines.slice(0, dots);
  const initiatorPreMessage: ("e" | "s")[] = [];
  const responderPreMessage: ("e" | "s")[] = [];
  for (const line of pre) {
    const { fromInitiator, tokens } = parseLine(name, line);
    if (tokens.some((t) => t !== "e" && t !== "s")) {
      throw new RangeError(`pattern ${name}: pre-messages hold only "e" and "s", got "${line}"`);
    }
    (fromInitiator ? initiatorPreMessage : responderPreMessage).push(...tokens as ("e" | "s")[]);
  }
  const messages = lines.slice(dots + 1).map((line) => parseLine(name, line));
  messages.forEach((m, i) => {
    if (m.fromInitiator !== (i % 2 === 0)) {
      throw new RangeError(`pattern ${name}: message ${i + 1} goes the wrong way`);
    }
  });
  if (messages.length === 0) throw new RangeError(`pattern ${name}: no messages`);
  const pattern: HandshakePattern = {
    name,
    initiatorPreMessage,
    responderPreMessage,
    messages,
    oneWay,
    pskCount: messages.reduce((n, m) => n + m.tokens.filter((t) => t === "psk").length, 0),
  };
  checkValidity(pattern);
  return deepFreeze(pattern);
}

/**
 * The pattern called `name`: a base name from §7.4–§7.6 optionally followed
 * by psk modifiers joined with "+" (§9.4, e.g. `"XXpsk3"`, `"NNpsk0+psk2"`).
 * "psk0" puts a "psk" token at the start of the first message, "pskN" at the
 * end of message N. Throws `RangeError` for unknown names or modifiers
 * ("fallback" is not supported).
 */
export function handshakePattern(name: string): HandshakePattern {
  const match = /^([A-Z0-9]+)(.*)$/.exec(name);
  const base = match?.[1] ?? "";
  if (!Object.hasOwn(TABLE, base)) {
    throw new RangeError(`handshakePattern: unknown pattern "${name}"`);
  }
  const lines = TABLE[base].split("|").map((l) => l.trim());
  const first = lines.indexOf("...") + 1;
  const modifiers = match![2] === "" ? [] : match![2].split("+");
  const seen = new Set<string>();
  for (const modifier of modifiers) {
    const psk = /^psk(\d)$/.exec(modifier);
    const index = psk ? Number(psk[1]) : -1;
    if (index < 0 || index > lines.length - first || seen.has(modifier)) {
      throw new RangeError(`handshakePattern: bad modifier "${modifier}" in "${name}"`);
    }
    seen.add(modifier);
    if (index === 0) {
      lines[first] = lines[first].replace(/^(->|<-) /, "$1 psk, ");
    } else {
      lines[first + index - 1] += ", psk";
    }
  }
  return parsePattern(name, lines.join(" | "), ONE_WAY.has(base));
}

function parseLine(name: string, line: string): MessagePattern {
  const arrow = line.slice(0, 2);
  if (arrow !== "->" && arrow !== "<-") {
    throw new RangeError(`pattern ${name}: line must start with -> or <-, got "${line}"`);
  }
  const tokens = line.slice(2).split(",").map((t) => t.trim()).filter((t) => t !== "");
  for (const t of tokens) {
    if (!TOKENS.has(t)) throw new RangeError(`pattern ${name}: unknown token "${t}"`);
  }
  return { fromInitiator: arrow === "->", tokens: tokens as Token[] };
}

/** §7.3 rules 1 and 2: DH only with keys both sides hold; no key sent twice. */
function checkValidity(p: HandshakePattern): void {
  const sent = {
    initiator: new Set<string>(p.initiatorPreMessage),
    responder: new Set<string>(p.responderPreMessage),
  };
  if (sent.initiator.size !== p.initiatorPreMessage.length) {
    throw new RangeError(`pattern ${p.name}: a pre-message key listed twice`);
  }
  if (sent.responder.size !== p.responderPreMessage.length) {
    throw new RangeError(`pattern ${p.name}: a pre-message key listed twice`);
  }
  for (const m of p.messages) {
    const own = m.fromInitiator ? sent.initiator : sent.responder;
    for (const t of m.tokens) {
      if (t === "e" || t === "s") {
        if (own.has(t)) throw new RangeError(`pattern ${p.name}: "${t}" sent twice`);
        own.add(t);
      } else if (t !== "psk") {
        // "es": initiator's e with responder's s; "se": initiator's s with responder's e.
        if (!sent.initiator.has(t[0]) || !sent.responder.has(t[1])) {
          throw new RangeError(`pattern ${p.name}: "${t}" before both keys are known`);
        }
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
