#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the binary seeds of test/fuzz/corpus/: packet/ and rx/ from the
# captured keepalived adverts and RFC vectors in test/unit/test_packet.c,
# linkmon/ from rtnetlink datagrams the kernel sends (captured live in a
# private network namespace). The seeds are committed; run this only to
# make them again:
#
#   python3 test/fuzz/make-seeds.py packet    # any user
#   python3 test/fuzz/make-seeds.py linkmon   # as root: unshare -n, ip link
#
# Text seeds (config, repl, gtid, ...) are plain files written by hand or
# by capture-repl.sh; see test/fuzz/README.md.
import os
import re
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- packet/ and rx/ -------------------------------------------------------

def vectors():
    """The byte arrays of test_packet.c, by name, as bytes."""
    src = open(os.path.join(ROOT, "test/unit/test_packet.c")).read()
    out = {}
    for m in re.finditer(r"static const uint8_t (\w+)\[\] = \{([^}]*)\};", src):
        out[m.group(1)] = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", m.group(2)))
    return out


# fuzz_packet.c's byte 0: bit 0 v3, bits 1-2 checksum mode (0 auto), bit 4
# IPv6, bit 5 v2 PASS "secret12", bit 6 IPv4 unicast to 198.18.0.2.
V3, IPV6, PASS, UNICAST = 1, 16, 32, 64
CASES = {
    "ka_v2_1vip": 0,
    "ka_v2_2vip": 0,
    "ka_v2_pass": PASS,
    "ka_v2_pass_short": PASS,     # "vig": refused by a "secret12" instance
    "ka_v3_1vip": V3,
    "ka_v3_2vip_10cs": V3,
    "ka_v3_unicast": V3 | UNICAST,
    "rfc9568_v3_1vip": V3,
    "rfc9568_v3_3vip": V3,
    "rfc9568_v3_prio0": V3,
    "rfc5798_v3_ipv6": V3 | IPV6,
}


def ipv4(src, dst, payload, ttl=255):
    """An IPv4 header as Linux writes it for a raw IP protocol 112 socket
    (IHL 5, TOS 0xc0 internetwork control as keepalived sets, DF, TTL 255)."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + len(payload), 0x1234, 0x4000, ttl, 112, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    words = struct.unpack("!10H", hdr)
    s = sum(words)
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xffff) + hdr[12:]
    return hdr + payload


def make_packet():
    vec = vectors()
    for name, sel in CASES.items():
        msg = vec[name]
        write("packet", name, bytes([sel, 255]) + msg)
        if sel & IPV6:
            continue  # the raw socket is IPv4 only
        dst = "198.18.0.2" if sel & UNICAST else "224.0.0.18"
        # fuzz_rx.c's byte 0 is the same receive policy without the IP bits.
        write("rx", name, bytes([sel & (V3 | PASS)]) + ipv4("198.18.0.1", dst, msg))


# ---- linkmon/ --------------------------------------------------------------

RTMGRP_LINK, RTMGRP_IPV4_IFADDR = 0x1, 0x10
RTM_GETLINK, RTM_GETADDR = 18, 22
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300


def nl_request(sock, seq, mtype, flags, body):
    sock.send(struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body)


def drain(sock):
    """Every datagram the kernel has queued for us (non-blocking)."""
    out = []
    while True:
        try:
            out.append(sock.recv(65536, socket.MSG_DONTWAIT))
        except BlockingIOError:
            return out


def make_linkmon():
    if os.environ.get("VIGIL_SEEDS_IN_NETNS") != "1":
        # A network namespace of our own: the links we add and remove are
        # nobody else's, and the dumps hold only them.
        env = dict(os.environ, VIGIL_SEEDS_IN_NETNS="1")
        sys.exit(subprocess.call(["unshare", "-n", sys.executable, __file__, "linkmon"], env=env))

    def ip(*args):
        subprocess.check_call(["ip"] + list(args))

    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR))
    n = 0

    def save(what, dgrams):
        nonlocal n
        for i, d in enumerate(dgrams):
            n += 1
            write("linkmon", "%02d-%s%s" % (n, what, "-%d" % i if len(dgrams) > 1 else ""), d)

    # Notifications as linkmon receives them, one step at a time.
    ip("link", "set", "lo", "up")
    save("lo-up", drain(s))
    ip("link", "add", "va", "type", "veth", "peer", "name", "vb")
    save("veth-new", drain(s))
    ip("link", "set", "va", "up")
    save("va-up-peer-down", drain(s))
    ip("link", "set", "vb", "up")
    save("va-running", drain(s))
    ip("addr", "add", "198.18.0.1/24", "dev", "va")
    save("addr-new", drain(s))
    ip("addr", "add", "198.18.0.100/24", "dev", "va")
    save("addr-new-secondary", drain(s))
    ip("addr", "del", "198.18.0.100/24", "dev", "va")
    save("addr-del-secondary", drain(s))
    ip("link", "set", "vb", "down")
    save("va-no-carrier", drain(s))
    ip("link", "set", "va", "down")
    save("va-down", drain(s))
    ip("link", "set", "va", "name", "vigil-renamed")
    save("rename", drain(s))
    # The full query linkmon makes at start and after an overrun.
    nl_request(s, 1, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BxHiII", 0, 0, 0, 0, 0))
    save("link-dump", drain(s) or [s.recv(65536)])
    nl_request(s, 2, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBBBi", socket.AF_INET, 0, 0, 0, 0))
    save("addr-dump", drain(s) or [s.recv(65536)])
    # An error answer: a link that does not exist (-ENODEV), acked.
    nl_request(s, 3, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, struct.pack("=BxHiII", 0, 0, 999, 0, 0))
    save("error-enodev", [s.recv(65536)])
    ip("link", "del", "vigil-renamed")
    save("veth-del", drain(s))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "packet":
        make_packet()
    elif what == "linkmon":
        make_linkmon()
    else:
        sys.exit("usage: make-seeds.py packet|linkmon")
