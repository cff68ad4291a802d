#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Independent known-answer VRRPv3 vectors (RFC 9568 IPv4, RFC 5798 IPv6) for test_packet.c.
#
# Written from the RFC text alone, sharing no code with vrrp/packet.c, so a
# mistake in vigil's checksum cannot hide in both. Run it and paste the
# output into test/unit/test_packet.c:  python3 test/unit/gen_vectors.py
import ipaddress
import struct


def rfc1071(data: bytes) -> int:
    """RFC 1071: ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def v3(vrid, prio, interval_cs, addrs, pseudo=None):
    """RFC 5798 5.1: ver 3 | type 1, VRID, prio, count, rsvd|interval, csum, addrs."""
    body = b"".join(ipaddress.ip_address(a).packed for a in addrs)
    msg = struct.pack("!BBBBHH", 0x31, vrid, prio, len(addrs), interval_cs, 0) + body
    data = (pseudo(len(msg)) if pseudo else b"") + msg
    csum = rfc1071(data)
    return msg[:6] + struct.pack("!H", csum) + msg[8:]


def ipv6_pseudo(src, dst):
    """RFC 8200 8.1: src, dst, 32-bit upper-layer length, 3 zero bytes, next header 112."""
    s = ipaddress.ip_address(src).packed
    d = ipaddress.ip_address(dst).packed
    return lambda length: s + d + struct.pack("!I", length) + b"\0\0\0" + bytes([112])


def emit(name, comment, msg):
    print("/* %s: %s, %d bytes */" % (name, comment, len(msg)))
    print("static const uint8_t %s[] = {" % name)
    for i in range(0, len(msg), 8):
        print("\t" + " ".join("0x%02x," % b for b in msg[i:i + 8]))
    print("};")


emit("rfc9568_v3_1vip",
     "v3 IPv4 message-only csum, vrid 51 prio 150 int 100cs, 198.18.0.100",
     v3(51, 150, 100, ["198.18.0.100"]))
emit("rfc9568_v3_3vip",
     "v3 IPv4 message-only csum, vrid 7 prio 254 int 4095cs, 198.18.0.100-102",
     v3(7, 254, 4095, ["198.18.0.100", "198.18.0.101", "198.18.0.102"]))
emit("rfc9568_v3_prio0",
     "v3 IPv4 message-only csum, vrid 51 prio 0 int 10cs, 198.18.0.100",
     v3(51, 0, 10, ["198.18.0.100"]))
emit("rfc5798_v3_ipv6",
     "v3 IPv6 pseudo-header csum src fe80::1 dst ff02::12, vrid 51 prio 150"
     " int 100cs, fe80::100 2001:db8::100",
     v3(51, 150, 100, ["fe80::100", "2001:db8::100"],
        ipv6_pseudo("fe80::1", "ff02::12")))
