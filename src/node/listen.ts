/**
 * Binding HTTP listeners with errors people can act on: a busy port names
 * the flag that changes it.
 * @module
 */
import { CanopyError } from "../util/errors.ts";

/** An HTTP listener that is up. */
export interface Listener {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Options of `listen`. */
export interface ListenOptions {
  readonly hostname: string;
  readonly port: number;
  /** The flag a user changes to pick another port, e.g. "--port". */
  readonly portFlag: string;
  readonly portEnv: string;
  readonly handler: Deno.ServeHandler;
  readonly onError?: (error: unknown) => Response | Promise<Response>;
}

/** Translates a bind failure into a `CanopyError` naming the flag to change. */
export function bindError(
  e: unknown,
  options: { hostname: string; port: number; portFlag: string; portEnv: string },
): unknown {
  const where = `${options.hostname}:${options.port}`;
  if (e instanceof Deno.errors.AddrInUse) {
    return new CanopyError(
      "unavailable",
      `Port ${options.port} on ${options.hostname} is already in use; ` +
        `choose another with ${options.portFlag} (or ${options.portEnv})`,
    );
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return new CanopyError(
      "unavailable",
      `Cannot listen on ${where}: this machine has no such address`,
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new CanopyError(
      "unavailable",
      `Not allowed to listen on ${where}; ports below 1024 need privileges, ` +
        `choose another with ${options.portFlag}`,
    );
  }
  return e;
}

/** Starts `Deno.serve`, translating bind failures into `CanopyError`s. */
export function listen(options: ListenOptions): Listener {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: options.onError,
    }, options.handler);
  } catch (e) {
    throw bindError(e, options);
  }
  let closing: Promise<void> | undefined;
  return {
    hostname: server.addr.hostname,
    port: server.addr.port,
    close: () => (closing ??= server.shutdown()),
  };
}
