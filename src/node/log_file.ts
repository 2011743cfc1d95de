/**
 * The rotating log file `logs/canopy.log` (SPEC §2): when it passes
 * `maxBytes` it becomes canopy.log.1 (older ones shift up) and a fresh
 * file starts; `keep` old files are kept. Writes are synchronous appends so
 * lines survive a crash.
 * @module
 */

/** Size at which the log rotates (bytes). */
export const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
/** Rotated files kept. */
export const LOG_KEEP_FILES = 3;

/** A sink function appending to a rotating file, plus `close`. */
export interface LogFile {
  write(line: string): void;
  close(): void;
}

/** Opens (appending) the log file at `path`. */
export function openLogFile(
  path: string,
  maxBytes = LOG_ROTATE_BYTES,
  keep = LOG_KEEP_FILES,
): LogFile {
  const encoder = new TextEncoder();
  let file: Deno.FsFile | undefined;
  let size = 0;
  let failed = false;
  const open = () => {
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    size = file.statSync().size;
  };
  const rotate = () => {
    file?.close();
    file = undefined;
    for (let i = keep - 1; i >= 1; i--) {
      try {
        Deno.renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch { /* missing */ }
    }
    try {
      Deno.renameSync(path, `${path}.1`);
    } catch { /* missing */ }
    try {
      Deno.removeSync(`${path}.${keep + 1}`);
    } catch { /* missing */ }
    open();
  };
  open();
  return {
    write(line: string) {
      if (failed || !file) return;
      try {
        const bytes = encoder.encode(line + "\n");
        if (size + bytes.length > maxBytes && size > 0) rotate();
        file!.writeSync(bytes);
        size += bytes.length;
      } catch {
        failed = true; // full disk: keep running, stderr still has the logs
      }
    },
    close() {
      file?.close();
      file = undefined;
    },
  };
}
