/**
 * `canopy keys create|list|revoke`: works on the data directory whether or
 * not a node is running (SQLite WAL lets both use the database).
 * @module
 */
import type { Command, NodeSettings } from "../config/config.ts";
import { ApiKeyService } from "../accounts/api_keys.ts";
import { ApiKeysRepo } from "../store/api_keys_repo.ts";
import { openStorage } from "../node/node.ts";

type KeysCommand = Extract<Command, { kind: "keys-create" | "keys-list" | "keys-revoke" }>;

/** Runs a keys command, writing to `out`. Returns the exit code. */
export async function runKeysCommand(
  command: KeysCommand,
  settings: NodeSettings,
  out: (line: string) => void,
): Promise<number> {
  const { db } = await openStorage(settings);
  try {
    const service = new ApiKeyService(new ApiKeysRepo(db));
    switch (command.kind) {
      case "keys-create": {
        const key = service.create({
          name: command.name,
          permissions: command.permissions,
          expiresDays: command.expiresDays,
        });
        out(`Created API key ${key.id} "${key.name}"`);
        out(`  permissions: ${key.permissions.join(", ")}`);
        out(`  expires:     ${key.expires_at ?? "never"}`);
        out("Store it now: it is not shown again. The key is on the next line.");
        out(key.key);
        return 0;
      }
      case "keys-list": {
        const keys = service.list();
        if (keys.length === 0) {
          out("No API keys. Create one with: canopy keys create --name NAME");
          return 0;
        }
        out(
          ["ID".padEnd(12), "STATUS ".padEnd(8), "NAME".padEnd(24), "PERMISSIONS", "LAST USED"]
            .join(" "),
        );
        for (const k of keys) {
          out([
            k.id.padEnd(12),
            k.status.padEnd(8),
            k.name.slice(0, 24).padEnd(24),
            k.permissions.join(","),
            k.last_used_at ?? "never",
          ].join(" "));
        }
        return 0;
      }
      case "keys-revoke": {
        const k = service.revoke(command.id);
        out(`Revoked API key ${k.id} "${k.name}"`);
        return 0;
      }
    }
  } finally {
    db.close();
  }
}
