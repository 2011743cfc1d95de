import assert from "node:assert/strict";
import { MessageAssembler } from "./_assembler.ts";
import { CLOSE } from "./close.ts";
import { OPCODE } from "./frame.ts";

Deno.test("assembler: single frames pass through; fragments join in order (§5.4)", () => {
  const a = new MessageAssembler(100);
  const one = Uint8Array.of(1, 2);
  assert.equal(a.push(true, OPCODE.binary, one), one);
  assert.equal(a.push(false, OPCODE.binary, Uint8Array.of(1)), null);
  assert.equal(a.push(false, OPCODE.continuation, new Uint8Array(0)), null);
  assert.equal(a.remaining(), 99);
  assert.deepEqual(a.push(true, OPCODE.continuation, Uint8Array.of(2, 3)), Uint8Array.of(1, 2, 3));
  assert.equal(a.remaining(), 100);
});

Deno.test("assembler: many 1-byte fragments make one message up to the cap", () => {
  const a = new MessageAssembler(1 << 16);
  assert.equal(a.push(false, OPCODE.binary, Uint8Array.of(0)), null);
  for (let i = 1; i < (1 << 16) - 1; i++) {
    a.push(false, OPCODE.continuation, Uint8Array.of(i & 255));
  }
  assert.equal(a.remaining(), 1);
  const m = a.push(true, OPCODE.continuation, Uint8Array.of(255)) as Uint8Array;
  assert.equal(m.length, 1 << 16);
  assert.equal(m[1000], 1000 & 255);
});

Deno.test("assembler: continuation without a message, or a message inside one, is 1002", () => {
  const a = new MessageAssembler(100);
  const r = a.push(true, OPCODE.continuation, Uint8Array.of(1));
  assert.equal(r !== null && "code" in r && r.code, CLOSE.protocolError);
  a.push(false, OPCODE.binary, Uint8Array.of(1));
  const r2 = a.push(true, OPCODE.binary, Uint8Array.of(2));
  assert.equal(r2 !== null && "code" in r2 && r2.code, CLOSE.protocolError);
});
