"""A standard third-party DNS-SD browser (python3-zeroconf from Debian) for the
LAN discovery test: browses _canopy._tcp.local. from inside a network
namespace for a few seconds and prints what it resolved as one JSON line:
[{"name", "server", "port", "addresses", "txt": {key: value}}].

Usage: /usr/bin/python3 _zeroconf_browse.py INTERFACE_ADDRESS SECONDS
"""
import json
import sys
import time

from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

SERVICE = "_canopy._tcp.local."


class Listener(ServiceListener):
    def __init__(self):
        self.names = set()

    def add_service(self, zc, type_, name):
        self.names.add(name)

    def update_service(self, zc, type_, name):
        self.names.add(name)

    def remove_service(self, zc, type_, name):
        self.names.discard(name)


def main():
    address, seconds = sys.argv[1], float(sys.argv[2])
    zc = Zeroconf(interfaces=[address])
    try:
        listener = Listener()
        browser = ServiceBrowser(zc, SERVICE, listener)
        time.sleep(seconds)
        found = []
        for name in sorted(listener.names):
            info = zc.get_service_info(SERVICE, name, timeout=3000)
            if info is None:
                continue
            found.append({
                "name": name,
                "server": info.server,
                "port": info.port,
                "addresses": info.parsed_addresses(),
                "txt": {
                    k.decode(): (v.decode() if v is not None else None)
                    for k, v in info.properties.items()
                },
            })
        browser.cancel()
        print(json.dumps(found), flush=True)
    finally:
        zc.close()


if __name__ == "__main__":
    main()
