/**
 * Web accounts and sessions (SPEC §9).
 *
 * - **Setup.** The first account is created on the first visit. From a
 *   loopback address a username and password are enough; from any other
 *   address the one-time setup token printed at startup is needed too, so
 *   nobody on the LAN can claim a fresh node first.
 * - **Passwords.** scrypt (src/crypto/password.ts), at least
 *   {@link MIN_PASSWORD_LENGTH} characters; failed logins are slowed per
 *   account and per address (login_throttle.ts). An unknown username costs
 *   the same hash as a known one.
 * - **Sessions.** 32 random bytes, stored as their SHA-256; a per-session
 *   CSRF token; an idle timeout that slides with use and an absolute cap.
 *   Changing the password ends every other session.
 * @module
 */
import { type Permission, PERMISSIONS } from "../config/config.ts";
import { hashPassword, randomBytes, sha256, verifyPassword } from "../crypto/mod.ts";
import type { SessionRecord, UsersRepo } from "../store/users_repo.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { equalBytes, utf8 } from "../util/bytes.ts";
import { CanopyError, invalidField } from "../util/errors.ts";
import { LoginThrottle, type LoginThrottleOptions } from "./login_throttle.ts";

/** Shortest password accepted (characters). */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password accepted (characters): bounds the hashing work. */
export const MAX_PASSWORD_LENGTH = 1024;
/** Longest username (characters). */
export const MAX_USERNAME_LENGTH = 64;
/** A session ends after this long without use (ms). */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** A session ends this long after login, used or not (ms). */
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** The last-use time of a session is written at most this often (ms). */
export const SESSION_TOUCH_MS = 60_000;
/** Sessions kept per account; logging in again drops the least recently used beyond it. */
export const MAX_SESSIONS_PER_USER = 20;
/** Password hashes computed at once; more attempts get 429 (each costs ~32 MiB and ~150 ms). */
export const MAX_CONCURRENT_HASHES = 4;
/** Random bytes in a session token. */
export const SESSION_TOKEN_BYTES = 32;

const USERNAME_RE = /^[\p{L}\p{N}._@-]+$/u;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Where a request came from. */
export interface ClientInfo {
  /** The peer address of the connection, when known. */
  readonly address?: string;
  /** True when the connection comes from this machine's loopback interface. */
  readonly loopback: boolean;
}

/** `GET /auth/status`: what the UI needs to decide which page to show. */
export interface AuthStatusView {
  needs_setup: boolean;
  setup_token_required: boolean;
  logged_in: boolean;
  username: string | null;
  csrf_token: string | null;
  expires_at: string | null;
  idle_timeout_seconds: number;
  min_password_length: number;
}

/** A new session: the token goes in the cookie, the rest in the response body. */
export interface SessionGrant {
  readonly token: string;
  readonly csrfToken: string;
  readonly username: string;
  readonly expiresAt: number;
}

/** Who a request acts as once its session checked out: every permission. */
export interface SessionPrincipal {
  readonly kind: "session";
  readonly name: string;
  readonly userId: number;
  readonly csrfToken: string;
  readonly expiresAt: number;
  readonly permissions: ReadonlySet<Permission>;
}

/** Options of `AccountService`. */
export interface AccountServiceOptions {
  /** The one-time token for setup from a non-loopback address. */
  readonly setupToken: string;
  readonly now?: () => number;
  /** Password hashing (default scrypt); tests inject a fast one. */
  readonly hash?: (password: string) => Promise<string>;
  readonly verify?: (password: string, encoded: string) => Promise<boolean>;
  /** Default {@link SESSION_IDLE_MS}. */
  readonly idleMs?: number;
  /** Default {@link SESSION_MAX_AGE_MS}. */
  readonly maxAgeMs?: number;
  readonly throttle?: LoginThrottleOptions;
}

const ALL_PERMISSIONS: ReadonlySet<Permission> = new Set(PERMISSIONS);

function usernameOf(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw invalidField("username", "username is required");
  }
  const name = value.trim().normalize("NFC");
  if (name.length > MAX_USERNAME_LENGTH) {
    throw invalidField("username", `username must be at most ${MAX_USERNAME_LENGTH} characters`);
  }
  if (!USERNAME_RE.test(name)) {
    throw invalidField("username", "username may hold letters, digits and . _ @ - only");
  }
  return name;
}

function newPasswordOf(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalidField(field, `${field} is required`);
  const length = [...value].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw invalidField(field, `${field} must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw invalidField(field, `${field} must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return value;
}

function presentedPassword(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw invalidField(field, `${field} is required`);
  if (value.length > 4 * MAX_PASSWORD_LENGTH) {
    throw invalidField(field, `${field} must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return value;
}

const sessionHash = (token: string) => sha256(fromBase64Url(token));

/** Accounts, logins and sessions of the web UI. */
export class AccountService {
  readonly #o: AccountServiceOptions;
  readonly #now: () => number;
  readonly #hash: (password: string) => Promise<string>;
  readonly #verify: (password: string, encoded: string) => Promise<boolean>;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #throttle: LoginThrottle;
  #hashing = 0;
  #dummyHash?: Promise<string>;

  constructor(private readonly repo: UsersRepo, options: AccountServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#hash = options.hash ?? hashPassword;
    this.#verify = options.verify ?? verifyPassword;
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
    this.#throttle = new LoginThrottle(repo, { now: this.#now, ...options.throttle });
  }

  /** True while no account exists. */
  needsSetup(): boolean {
    return this.repo.count() === 0;
  }

  /** What the UI needs to know about this client. */
  status(token: string | undefined, client: ClientInfo): AuthStatusView {
    const needsSetup = this.needsSetup();
    let session: SessionPrincipal | undefined;
    if (token !== undefined && !needsSetup) {
      try {
        session = this.authenticate(token);
      } catch {
        session = undefined;
      }
    }
    return {
      needs_setup: needsSetup,
      setup_token_required: needsSetup && !client.loopback,
      logged_in: session !== undefined,
      username: session?.name ?? null,
      csrf_token: session?.csrfToken ?? null,
      expires_at: session ? new Date(session.expiresAt).toISOString() : null,
      idle_timeout_seconds: Math.round(this.#idleMs / 1000),
      min_password_length: MIN_PASSWORD_LENGTH,
    };
  }

  /** Creates the first account and logs it in. */
  async setup(
    input: { username: unknown; password: unknown; setupToken?: unknown },
    client: ClientInfo,
  ): Promise<SessionGrant> {
    if (!this.needsSetup()) {
      throw new CanopyError("conflict", "This node already has an account; log in instead");
    }
    const username = usernameOf(input.username);
    const password = newPasswordOf(input.password, "password");
    if (!client.loopback) this.#checkSetupToken(input.setupToken, client);
    const encoded = await this.#limitHashes(() => this.#hash(password));
    return this.repo.transaction(() => {
      if (this.repo.count() !== 0) {
        throw new CanopyError("conflict", "This node already has an account; log in instead");
      }
      const user = this.repo.create(username, encoded, this.#now());
      return this.#openSession(user.id, user.username);
    });
  }

  #checkSetupToken(presented: unknown, client: ClientInfo): void {
    const end = this.#throttle.begin({ address: client.address ?? "unknown" });
    const ok = typeof presented === "string" && presented.length <= 256 &&
      equalBytes(sha256(utf8(presented.trim())), sha256(utf8(this.#o.setupToken)));
    end(ok ? "abandoned" : "failure");
    if (!ok) {
      throw new CanopyError(
        "forbidden",
        presented === undefined || presented === null || presented === ""
          ? "Setting up from another machine needs the setup token printed when the node started"
          : "The setup token is wrong; use the one printed when the node started",
        { field: "setup_token" },
      );
    }
  }

  /** Checks a username and password; opens a session. */
  async login(
    input: { username: unknown; password: unknown },
    client: ClientInfo,
  ): Promise<SessionGrant> {
    if (typeof input.username !== "string" || input.username.trim() === "") {
      throw invalidField("username", "username is required");
    }
    const name = input.username.trim().normalize("NFC").slice(0, MAX_USERNAME_LENGTH + 1);
    const password = presentedPassword(input.password, "password");
    const end = this.#throttle.begin({ account: name, address: client.address ?? "unknown" });
    let ok: boolean;
    const user = this.repo.findByName(name);
    try {
      const encoded = user?.passwordHash ?? await this.#dummy();
      ok = (await this.#limitHashes(() => this.#verify(password, encoded))) && user !== undefined;
    } catch (e) {
      // Too many hashes at once (429) is not a wrong password: it is not counted.
      end("abandoned");
      throw e;
    }
    end(ok ? "success" : "failure");
    if (!ok || !user) throw new CanopyError("unauthorized", "Wrong username or password");
    return this.repo.transaction(() => this.#openSession(user.id, user.username));
  }

  /** Ends a session (unknown tokens are ignored); true when one ended. */
  logout(token: string | undefined): boolean {
    if (token === undefined || !TOKEN_RE.test(token)) return false;
    return this.repo.deleteSession(sessionHash(token));
  }

  /** Checks a session token; throws `unauthorized` once it ended. Slides the idle timeout. */
  authenticate(token: string): SessionPrincipal {
    if (!TOKEN_RE.test(token)) {
      throw new CanopyError("unauthorized", "The session cookie is malformed; log in again");
    }
    const idHash = sessionHash(token);
    const session = this.repo.findSession(idHash);
    if (!session) throw new CanopyError("unauthorized", "Your session has ended; log in again");
    const now = this.#now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.#idleMs) {
      this.repo.deleteSession(idHash);
      throw new CanopyError("unauthorized", "Your session has expired; log in again");
    }
    if (now - session.lastSeenAt >= SESSION_TOUCH_MS) this.repo.touchSession(idHash, now);
    return this.#principal(session);
  }

  /** Changes the password (the current one is required); ends every other session. */
  async changePassword(
    token: string,
    input: { old_password: unknown; new_password: unknown },
    client: ClientInfo,
  ): Promise<{ sessions_revoked: number }> {
    const session = this.authenticate(token);
    const oldPassword = presentedPassword(input.old_password, "old_password");
    const newPassword = newPasswordOf(input.new_password, "new_password");
    if (oldPassword === newPassword) {
      throw invalidField("new_password", "new_password must differ from the current password");
    }
    const user = this.repo.findById(session.userId);
    if (!user) throw new CanopyError("unauthorized", "Your session has ended; log in again");
    const end = this.#throttle.begin({
      account: user.username,
      address: client.address ?? "unknown",
    });
    let ok: boolean;
    try {
      ok = await this.#limitHashes(() => this.#verify(oldPassword, user.passwordHash));
    } catch (e) {
      end("abandoned");
      throw e;
    }
    end(ok ? "success" : "failure");
    if (!ok) {
      throw new CanopyError("forbidden", "The current password is wrong", {
        field: "old_password",
      });
    }
    const encoded = await this.#limitHashes(() => this.#hash(newPassword));
    return this.repo.transaction(() => {
      this.repo.setPassword(user.id, encoded, this.#now());
      return { sessions_revoked: this.repo.deleteSessionsOfUser(user.id, sessionHash(token)) };
    });
  }

  #openSession(userId: number, username: string): SessionGrant {
    const now = this.#now();
    this.repo.pruneSessions(now, now - this.#idleMs);
    const secret = randomBytes(SESSION_TOKEN_BYTES);
    const token = toBase64Url(secret);
    const record = {
      idHash: sha256(secret),
      userId,
      csrfToken: toBase64Url(randomBytes(32)),
      createdAt: now,
      expiresAt: now + this.#maxAgeMs,
      lastSeenAt: now,
    };
    secret.fill(0);
    this.repo.insertSession(record);
    this.repo.trimSessions(userId, MAX_SESSIONS_PER_USER);
    return { token, csrfToken: record.csrfToken, username, expiresAt: record.expiresAt };
  }

  #principal(s: SessionRecord): SessionPrincipal {
    return {
      kind: "session",
      name: s.username,
      userId: s.userId,
      csrfToken: s.csrfToken,
      expiresAt: s.expiresAt,
      permissions: ALL_PERMISSIONS,
    };
  }

  /** A hash of a random password: what an unknown username is checked against. */
  #dummy(): Promise<string> {
    return this.#dummyHash ??= this.#hash(toBase64Url(randomBytes(16)));
  }

  async #limitHashes<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#hashing >= MAX_CONCURRENT_HASHES) {
      throw new CanopyError("rate_limited", "The node is busy checking passwords; retry shortly", {
        retryAfter: 1,
      });
    }
    this.#hashing++;
    try {
      return await fn();
    } finally {
      this.#hashing--;
    }
  }
}
