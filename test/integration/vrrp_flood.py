#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send a bounded flood of crafted VRRP datagrams (IP protocol 112).

Used by fault_bad_packets.sh, run inside a lab namespace:

    vrrp_flood.py IFACE RATE MAX_SECONDS KIND:COUNT:DST[:SRC] ...

Each KIND is one way of being wrong (see KINDS below); COUNT datagrams of
it go to DST (224.0.0.18 or a unicast address) from SRC (default: the
sender's own address). The kinds are interleaved round-robin and paced at
RATE datagrams per second in all; the run stops after the last datagram or
after MAX_SECONDS, whichever comes first. Prints one JSON object: the
datagrams sent per kind and the seconds it took.

Every datagram carries priority 254 (or says it is for the group's VRID
with a higher priority than any member), so one that were accepted would
make the master step down: the test sees it as a state change.
"""
import json
import socket
import struct
import sys
import time

MCAST = "224.0.0.18"
VIP = "198.18.0.100"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def v3(src, dst, vrid=51, prio=254, addrs=(VIP,), interval_cs=20, version=3, typ=1,
       count=None, bad_csum=False, cut=None):
    """A VRRPv3 advert, checksummed with the IPv4 pseudo-header (keepalived)."""
    body = b"".join(socket.inet_aton(a) for a in addrs)
    cnt = len(addrs) if count is None else count
    hdr = struct.pack("!BBBBHH", (version << 4) | typ, vrid, prio, cnt, interval_cs & 0x0FFF, 0)
    msg = hdr + body
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(msg))
    c = csum(pseudo + msg)
    if bad_csum:
        c ^= 0x5A5A
    msg = msg[:6] + struct.pack("!H", c) + msg[8:]
    return msg if cut is None else msg[:cut]


def v2(vrid=52, prio=254, addrs=(VIP,), auth_type=1, password=b"secret", interval_s=1):
    """A VRRPv2 advert (RFC 3768), checksum over the message only."""
    body = b"".join(socket.inet_aton(a) for a in addrs)
    hdr = struct.pack("!BBBBBBH", 0x21, vrid, prio, len(addrs), auth_type, interval_s, 0)
    msg = hdr + body + password.ljust(8, b"\0")[:8]
    c = csum(msg)
    return msg[:6] + struct.pack("!H", c) + msg[8:]


# kind -> (ttl, builder(src, dst)). Each maps to one drop reason of vigild.
KINDS = {
    "ttl": (64, lambda s, d: v3(s, d)),                         # ttl
    "csum": (255, lambda s, d: v3(s, d, bad_csum=True)),        # csum
    "version": (255, lambda s, d: v3(s, d, version=4)),         # version
    "type": (255, lambda s, d: v3(s, d, typ=2)),                # type
    "short": (255, lambda s, d: v3(s, d, cut=6)),               # short: 6 of the 8 header bytes
    "length": (255, lambda s, d: v3(s, d, count=3)),            # length: says 3 addresses, carries 1
    "count": (255, lambda s, d: v3(s, d, count=0, addrs=())),   # count: 0 addresses
    "interval": (255, lambda s, d: v3(s, d, interval_cs=0)),    # interval 0
    "vrid": (255, lambda s, d: v3(s, d, vrid=99)),              # vrid: nobody's
    "own": (255, lambda s, d: v3(s, d)),                        # SRC = the receiver's own address
    "v2pass": (255, lambda s, d: v2(password=b"wrong")),        # auth-data
    "v2auth": (255, lambda s, d: v2(auth_type=0, password=b"")),  # auth-type
    "notpeer": (255, lambda s, d: v3(s, d, vrid=53)),           # unicast: not a configured peer
}


def ip_header(src, dst, ttl, payload_len, ident):
    # The kernel fills the total length and the header checksum (IP_HDRINCL).
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + payload_len, ident & 0xFFFF, 0x4000,
                       ttl, 112, 0, socket.inet_aton(src), socket.inet_aton(dst))


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    iface, rate, max_s = argv[1], float(argv[2]), float(argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    own = None
    plan = []
    for spec in argv[4:]:
        parts = spec.split(":")
        kind, count, dst = parts[0], int(parts[1]), parts[2]
        src = parts[3] if len(parts) > 3 else None
        if kind not in KINDS:
            sys.exit("unknown kind %s" % kind)
        if src is None:
            if own is None:
                # The sender's address on IFACE: a UDP socket's choice.
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
                u.connect(("198.18.0.1", 9))
                own = u.getsockname()[0]
                u.close()
            src = own
        ttl, build = KINDS[kind]
        payload = build(src, dst)
        plan.append({"name": "%s@%s" % (kind, dst), "left": count, "sent": 0,
                     "src": src, "dst": dst, "ttl": ttl, "payload": payload})
    total = sum(p["left"] for p in plan)
    start = time.monotonic()
    deadline = start + max_s
    sent = 0
    ident = 1
    errors = 0
    while sent < total and time.monotonic() < deadline:
        for p in plan:
            if p["left"] == 0:
                continue
            pkt = ip_header(p["src"], p["dst"], p["ttl"], len(p["payload"]), ident) + p["payload"]
            ident += 1
            try:
                s.sendto(pkt, (p["dst"], 0))
                p["sent"] += 1
            except OSError:
                errors += 1
            p["left"] -= 1
            sent += 1
        # Pace: datagram n leaves no earlier than start + n / rate.
        ahead = start + sent / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    out = {"sent": {p["name"]: p["sent"] for p in plan}, "errors": errors,
           "seconds": round(time.monotonic() - start, 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
