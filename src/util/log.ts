/**
 * Levelled, structured logging. Sinks are injected: the node wires stderr
 * and the rotating log file (src/node/log_file.ts); tests capture lines.
 * @module
 */
/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of `LOG_LEVELS`. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Fields attached to a log line. Values are rendered with JSON. */
export type LogFields = Record<string, unknown>;

/** Receives finished lines. */
export type LogSink = (line: string, level: LogLevel) => void;

/** The logging interface every component takes in its options. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `component` to every line. */
  child(component: string): Logger;
}

/** A logger that drops everything (tests, CLI commands). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function render(fields: LogFields): string {
  let out = "";
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = typeof v === "string" && /^[\w.:/@-]+$/.test(v) ? v : JSON.stringify(
      v instanceof Error ? v.message : v,
    );
    out += ` ${k}=${text}`;
  }
  return out;
}

/** Creates a logger writing lines at or above `level` to every sink. */
export function createLogger(
  level: LogLevel,
  sinks: readonly LogSink[],
  component?: string,
  now: () => Date = () => new Date(),
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const write = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const line = `${now().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${
      component ? `[${component}] ` : ""
    }${message}${fields ? render(fields) : ""}`;
    for (const sink of sinks) {
      try {
        sink(line, lvl);
      } catch {
        // A failing sink (full disk) must not take the node down.
      }
    }
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (c) => createLogger(level, sinks, component ? `${component}/${c}` : c, now),
  };
}
