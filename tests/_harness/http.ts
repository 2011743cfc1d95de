/**
 * A small fetch wrapper for tests: always reads the body (so nothing leaks)
 * and returns status, headers and parsed JSON.
 * @module
 */

/** A finished response. */
export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly json: T;
  readonly text: string;
}

/** Options of `call`. */
export interface CallOptions {
  readonly method?: string;
  readonly key?: string;
  /** An object is sent as JSON; a string or bytes is sent as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Calls `url` and reads the whole response. */
export async function call<T = Record<string, unknown>>(
  url: string,
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers["X-API-Key"] = options.key;
  let body: BodyInit | undefined;
  if (options.body instanceof Uint8Array || typeof options.body === "string") {
    body = options.body as BodyInit;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await fetch(url, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}
