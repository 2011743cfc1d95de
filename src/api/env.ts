/** The Hono environment of the API: what middleware leaves for routes. */
import type { Principal } from "./ports.ts";

/** Variables set on the request context. */
export interface ApiEnv {
  Variables: {
    principal?: Principal;
  };
}
