import assert from "node:assert/strict";
import { Profiles } from "./profiles.ts";
import { Author } from "./author.ts";
import { EventBus } from "./events.ts";
import { Counters } from "../mesh/counters.ts";
import { importSigningKey, randomBytes } from "../crypto/mod.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { MessagesRepo } from "../store/messages_repo.ts";
import { ProfilesRepo } from "../store/profiles_repo.ts";
import { AtRestCipher } from "../store/at_rest.ts";
import { CanopyError } from "../util/errors.ts";

async function setup() {
  const db = Database.open(":memory:");
  migrate(db);
  const cipher = AtRestCipher.fromSeed(randomBytes(32));
  const signing = await importSigningKey(randomBytes(32));
  const me = peerIdOf(signing.publicKey);
  const floods: number[] = [];
  const profiles = new Profiles({
    me,
    defaultDeviceName: "laptop",
    author: new Author({ me, signing, db, repo: new MessagesRepo(db, cipher), now: Date.now }),
    mesh: {
      flood: (env) => {
        floods.push(env.seq);
        return Promise.resolve();
      },
      peers: { get: () => undefined, upsert: () => ({}) as never },
    },
    db,
    repo: new ProfilesRepo(db, cipher),
    events: new EventBus(),
    counters: new Counters(),
    now: Date.now,
  });
  return { db, profiles, floods, [Symbol.dispose]: () => db.close() };
}

Deno.test("concurrent edits apply one after another: none is lost, versions climb", async () => {
  using s = await setup();
  await Promise.all([
    s.profiles.ensurePublished(),
    s.profiles.updateUser({ display_name: "Carol" }),
    s.profiles.updateDevice({ device_name: "Carol's box" }),
    s.profiles.updateUser({ bio: "hello" }),
  ]);
  const card = s.profiles.mine();
  assert.equal(card.user.display_name, "Carol");
  assert.equal(card.user.bio, "hello");
  assert.equal(card.device.device_name, "Carol's box");
  assert.equal(card.version, 4);
  assert.deepEqual(s.floods, [1, 2, 3, 4]);
});

Deno.test("the default card names the device; bad input is refused and changes nothing", async () => {
  using s = await setup();
  await s.profiles.ensurePublished();
  await s.profiles.ensurePublished();
  assert.equal(s.profiles.mine().version, 1, "published once");
  assert.equal(s.profiles.mine().device.device_name, "laptop");
  await assert.rejects(() => s.profiles.updateDevice({ device_name: " " }), CanopyError);
  await assert.rejects(
    () => s.profiles.updateUser({ avatar: "data:image/gif;base64,R0lGOD" }),
    /PNG, JPEG or WebP/,
  );
  await assert.rejects(() => s.profiles.updateUser({ display_name: "x".repeat(65) }), /at most 64/);
  assert.equal(s.profiles.mine().version, 1);
  await s.profiles.updateUser({ display_name: "ok" });
  assert.equal(s.profiles.mine().version, 2, "the queue goes on after a refusal");
});
