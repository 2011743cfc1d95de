/**
 * A stable per-machine device id (SPEC §2), so a data folder synced between
 * machines keeps each machine's storage apart. Derived from the OS machine id
 * (/etc/machine-id) when readable, else from the host name.
 * `CANOPY_DEVICE_ID` overrides it.
 * @module
 */
import { sha256 } from "../crypto/mod.ts";
import { toHex, utf8 } from "../util/bytes.ts";

/** Where the OS machine id lives on Linux. */
export const MACHINE_ID_PATH = "/etc/machine-id";

/** Reads what identifies this machine: the machine id, else the host name. */
export function machineSource(): string {
  try {
    const id = Deno.readTextFileSync(MACHINE_ID_PATH).trim();
    if (id !== "") return `machine-id:${id}`;
  } catch {
    // not Linux, or not readable
  }
  try {
    return `hostname:${Deno.hostname()}`;
  } catch {
    return "hostname:unknown";
  }
}

/** Derives the device id from a machine source string (16 hex characters). */
export function deviceIdFrom(source: string): string {
  return toHex(sha256(utf8(`canopy/device/v1:${source}`))).slice(0, 16);
}

/** The device id to use: the override when given, else derived from this machine. */
export function resolveDeviceId(override?: string): string {
  return override ?? deviceIdFrom(machineSource());
}
