/** The Canopy version, kept equal to deno.json's "version" (a test checks). */
export const VERSION = "0.1.0";
/** The mesh protocol version spoken by this build (docs/PROTOCOL.md). */
export const PROTOCOL_VERSION = 1;
