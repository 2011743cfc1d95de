import assert from "node:assert/strict";
import { Database } from "./sqlite.ts";
import { LATEST_SCHEMA_VERSION, migrate, MIGRATIONS, schemaVersion } from "./migrations.ts";
import { CanopyError } from "../util/errors.ts";

async function withDb(fn: (path: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "canopy-mig-" });
  try {
    await fn(`${dir}/canopy.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function tables(db: Database): string[] {
  return db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  ).map((r) => r.name);
}

Deno.test("a fresh database gets every migration, in order, once", () =>
  withDb((path) => {
    const db = Database.open(path);
    try {
      assert.equal(schemaVersion(db), 0);
      assert.deepEqual(migrate(db), MIGRATIONS.map((m) => m.version));
      assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
      assert.deepEqual(migrate(db), [], "a second run applies nothing");
      for (const t of ["settings", "api_keys", "users", "sessions", "schema_migrations"]) {
        assert.ok(tables(db).includes(t), t);
      }
    } finally {
      db.close();
    }
  }));

Deno.test("WAL and foreign keys are on", () =>
  withDb((path) => {
    const db = Database.open(path);
    try {
      assert.equal(db.get<{ journal_mode: string }>("PRAGMA journal_mode")?.journal_mode, "wal");
      assert.equal(db.get<{ foreign_keys: number }>("PRAGMA foreign_keys")?.foreign_keys, 1);
      migrate(db);
      assert.throws(() =>
        db.run(
          "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (x'00', 99, 't', 0, 0, 0)",
        ), /FOREIGN KEY/);
    } finally {
      db.close();
    }
  }));

Deno.test("upgrade from the previous schema keeps existing rows", () =>
  withDb((path) => {
    const previous = LATEST_SCHEMA_VERSION - 1;
    let db = Database.open(path);
    assert.deepEqual(
      migrate(db, MIGRATIONS, previous),
      MIGRATIONS.slice(0, -1).map((m) => m.version),
    );
    db.run(
      "INSERT INTO api_keys (id, name, secret_hash, permissions, created_at) VALUES ('k1', 'old', x'01', 'READ_MESSAGES', 1)",
    );
    db.run("INSERT INTO settings (key, value) VALUES ('relay_policy', CAST('off' AS BLOB))");
    db.close();

    db = Database.open(path);
    try {
      assert.equal(schemaVersion(db), previous);
      assert.deepEqual(migrate(db), [LATEST_SCHEMA_VERSION]);
      assert.equal(
        db.get<{ name: string }>("SELECT name FROM api_keys WHERE id = 'k1'")?.name,
        "old",
      );
      assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM settings")?.n, 1);
      assert.ok(tables(db).includes("users"));
    } finally {
      db.close();
    }
  }));

Deno.test("a failing migration rolls back and leaves the version unchanged", () =>
  withDb((path) => {
    const db = Database.open(path);
    try {
      const broken = [...MIGRATIONS, {
        version: LATEST_SCHEMA_VERSION + 1,
        name: "broken",
        sql: "CREATE TABLE half (a); SELECT * FROM no_such_table;",
      }];
      assert.throws(() => migrate(db, broken), /no such table/);
      assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
      assert.ok(!tables(db).includes("half"));
    } finally {
      db.close();
    }
  }));

Deno.test("a database from a newer Canopy is refused with a clear error", () =>
  withDb((path) => {
    const db = Database.open(path);
    try {
      migrate(db);
      db.run("INSERT INTO schema_migrations VALUES (999, 'future', 0)");
      assert.throws(() => migrate(db), (e: unknown) => {
        assert.ok(e instanceof CanopyError);
        assert.match(e.message, /schema version 999, newer than this Canopy knows/);
        return true;
      });
    } finally {
      db.close();
    }
  }));

Deno.test("a full database is reported as storage_full and stays usable", () =>
  withDb((path) => {
    const db = Database.open(path);
    try {
      migrate(db);
      db.exec("CREATE TABLE filler (b BLOB)");
      const pages = db.get<{ page_count: number }>("PRAGMA page_count")!.page_count;
      db.exec(`PRAGMA max_page_count = ${pages + 2}`);
      assert.throws(
        () =>
          db.transaction(() => {
            for (let i = 0; i < 100; i++) {
              db.run("INSERT INTO filler VALUES (?)", new Uint8Array(4096));
            }
          }),
        (e: unknown) => e instanceof CanopyError && e.code === "storage_full",
      );
      assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM filler")?.n, 0, "rolled back");
      db.run("INSERT INTO settings (key, value) VALUES ('still', x'01')");
      assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM settings")?.n, 1);
    } finally {
      db.close();
    }
  }));
