/** The text of `canopy --help`. */
import { DEFAULTS, PERMISSIONS, RELAY_POLICIES } from "../config/config.ts";
import { VERSION } from "../version.ts";

/** Usage text. */
export function helpText(): string {
  return `Canopy ${VERSION} — a local-first, peer-to-peer, end-to-end encrypted messenger node

Usage:
  canopy [serve] [options]          run the node (the default command)
  canopy keys create --name NAME [--permissions P1,P2|all] [--expires-days N]
  canopy keys list
  canopy keys revoke ID
  canopy invite [--public-host H] [--public-port P]
  canopy --version | --help

Options (environment variable in brackets; flags win):
  --host H            web UI + REST API address [CANOPY_HOST] (default ${DEFAULTS.host})
  --port P            web UI + REST API port [CANOPY_PORT] (default ${DEFAULTS.port})
  --mesh-host H       mesh listener address [CANOPY_MESH_HOST] (default ${DEFAULTS.meshHost})
  --mesh-port P       mesh listener port [CANOPY_MESH_PORT] (default ${DEFAULTS.meshPort})
  --data-dir DIR      where data lives [CANOPY_DATA_DIR] (default ${DEFAULTS.dataDir})
  --relay-policy X    ${
    RELAY_POLICIES.join(" | ")
  } [CANOPY_RELAY_POLICY] (default ${DEFAULTS.relayPolicy})
  --public-host H     host to put first in invites [CANOPY_PUBLIC_HOST]
  --public-port P     port to put first in invites [CANOPY_PUBLIC_PORT]
  --no-discovery      do not use mDNS on the LAN [CANOPY_NO_DISCOVERY=1]
  --log-level L       debug | info | warn | error [CANOPY_LOG_LEVEL] (default ${DEFAULTS.logLevel})
  --device-id ID      override the machine-derived device id [CANOPY_DEVICE_ID]

  CANOPY_PASSPHRASE   encrypts (or unlocks) peer_identity.json

Permissions for API keys: ${PERMISSIONS.join(", ")}
(a new key gets the first three unless --permissions says otherwise).

Ports: ${DEFAULTS.port}/tcp web UI + API, ${DEFAULTS.meshPort}/tcp mesh, 5353/udp mDNS.
`;
}
