/**
 * Asking for a passphrase on a terminal without echoing it.
 * @module
 */

/** Reads a line from the terminal with echo off; undefined when stdin is not a terminal. */
export function promptHidden(question: string): string | undefined {
  if (!Deno.stdin.isTerminal()) return undefined;
  const encoder = new TextEncoder();
  Deno.stderr.writeSync(encoder.encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    while (bytes.length < 1024) {
      const n = Deno.stdin.readSync(buf);
      if (n === null || n === 0) break;
      const b = buf[0];
      if (b === 13 || b === 10) break; // enter
      if (b === 3) return undefined; // ctrl-c
      if (b === 127 || b === 8) {
        bytes.pop();
        continue;
      }
      bytes.push(b);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
