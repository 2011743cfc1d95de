/**
 * The data directory layout (SPEC §2):
 *
 *   <data-dir>/devices/<device_id>/canopy.db         SQLite database (+ -wal, -shm)
 *   <data-dir>/devices/<device_id>/peer_identity.json   private keys, mode 0600
 *   <data-dir>/devices/<device_id>/logs/canopy.log   rotating log
 * @module
 */
import { join } from "node:path";

/** Paths of one device's storage. */
export interface DevicePaths {
  readonly dataDir: string;
  readonly deviceDir: string;
  readonly database: string;
  readonly identity: string;
  readonly logsDir: string;
  readonly logFile: string;
}

/** The paths for `deviceId` under `dataDir`. */
export function devicePaths(dataDir: string, deviceId: string): DevicePaths {
  const deviceDir = join(dataDir, "devices", deviceId);
  return {
    dataDir,
    deviceDir,
    database: join(deviceDir, "canopy.db"),
    identity: join(deviceDir, "peer_identity.json"),
    logsDir: join(deviceDir, "logs"),
    logFile: join(deviceDir, "logs", "canopy.log"),
  };
}

/** Creates the directories (mode 0700). */
export async function ensureDeviceDirs(paths: DevicePaths): Promise<void> {
  await Deno.mkdir(paths.logsDir, { recursive: true, mode: 0o700 });
}
