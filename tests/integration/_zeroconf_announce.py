"""Announces _canopy._tcp services with python3-zeroconf (a standard
third-party responder) for the LAN discovery test. It prints "registered"
once every service is announced, keeps them up until its stdin closes, then
unregisters them (goodbye packets) and prints "unregistered".

Usage: /usr/bin/python3 _zeroconf_announce.py '<json>'
  {"address": "10.78.0.3",
   "services": [{"instance": "fake", "host": "fakehost", "port": 7771,
                 "txt": {"pid": "...", ...}}]}
"""
import json
import socket
import sys

from zeroconf import ServiceInfo, Zeroconf

SERVICE = "_canopy._tcp.local."


def main():
    spec = json.loads(sys.argv[1])
    zc = Zeroconf(interfaces=[spec["address"]])
    infos = [
        ServiceInfo(
            SERVICE,
            f"{s['instance']}.{SERVICE}",
            addresses=[socket.inet_aton(spec["address"])],
            port=s["port"],
            properties=s["txt"],
            server=f"{s['host']}.local.",
        )
        for s in spec["services"]
    ]
    try:
        for info in infos:
            zc.register_service(info)
        print("registered", flush=True)
        sys.stdin.read()  # until the test closes our stdin
        for info in infos:
            zc.unregister_service(info)
        print("unregistered", flush=True)
    finally:
        zc.close()


if __name__ == "__main__":
    main()
