/**
 * Key/value settings. Plain values hold configuration (relay policy…);
 * secret values (profile texts…) are sealed with the at-rest cipher.
 * @module
 */
import type { Database } from "./sqlite.ts";
import type { AtRestCipher } from "./at_rest.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";

interface SettingRow {
  value: Uint8Array;
  encrypted: number;
}

/** Settings backed by the `settings` table. */
export class SettingsRepo {
  constructor(private readonly db: Database, private readonly cipher: AtRestCipher) {}

  /** A plain setting, or undefined. */
  get(key: string): string | undefined {
    const row = this.db.get<SettingRow>("SELECT value, encrypted FROM settings WHERE key = ?", key);
    if (!row) return undefined;
    return row.encrypted ? this.cipher.openText(row.value, `settings:${key}`) : fromUtf8(row.value);
  }

  /** Stores a plain (unencrypted) setting. */
  set(key: string, value: string): void {
    this.#put(key, utf8(value), 0);
  }

  /** Stores a setting sealed at rest. `get` opens it transparently. */
  setSecret(key: string, value: string): void {
    this.#put(key, this.cipher.seal(value, `settings:${key}`), 1);
  }

  /** Removes a setting. */
  delete(key: string): void {
    this.db.run("DELETE FROM settings WHERE key = ?", key);
  }

  #put(key: string, value: Uint8Array, encrypted: number): void {
    this.db.run(
      `INSERT INTO settings (key, value, encrypted) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, encrypted = excluded.encrypted`,
      key,
      value,
      encrypted,
    );
  }
}
