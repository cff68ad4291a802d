#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Sample which lab hosts carry an IPv4 address, every PERIOD_MS.

    vip_sampler.py VIP PERIOD_MS MAX_SAMPLES MAX_SECONDS HOST=NETNS...

One rtnetlink socket is opened inside each network namespace (setns), so a
sample is one address dump per host: well under a millisecond, where
forking `ip` twice takes tens of them. Prints one line per sample,
"EPOCH_US HOLDER..." ("-" when nobody holds VIP), flushed at once. Stops
after MAX_SAMPLES samples or MAX_SECONDS seconds, or on SIGTERM.
"""
import ctypes
import os
import signal
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
RTM_GETADDR = 22
RTM_NEWADDR = 20
NLM_F_REQUEST = 1
NLM_F_DUMP = 0x300
NLMSG_DONE = 3
NLMSG_ERROR = 2
IFA_ADDRESS = 1
IFA_LOCAL = 2

libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e), path)
    finally:
        os.close(fd)


def open_in(ns):
    """A NETLINK_ROUTE socket created inside namespace ns."""
    home = "/proc/self/ns/net"
    keep = os.open(home, os.O_RDONLY)
    try:
        setns("/var/run/netns/" + ns)
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        s.settimeout(1.0)
    finally:
        if libc.setns(keep, CLONE_NEWNET) != 0:
            sys.exit("cannot return to the original namespace")
        os.close(keep)
    return s


def has_addr(sock, want, seq):
    """Dump the IPv4 addresses seen by sock; True if want is one of them."""
    req = struct.pack("=LHHLL", 16 + 8, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    req += struct.pack("=BBBBL", socket.AF_INET, 0, 0, 0, 0)
    sock.send(req)
    found = False
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, typ, _flags, _seq, _pid = struct.unpack_from("=LHHLL", data, off)
            if length < 16:
                return found
            if typ == NLMSG_DONE or typ == NLMSG_ERROR:
                return found
            if typ == RTM_NEWADDR:
                a = off + 16 + 8  # after struct ifaddrmsg
                end = off + length
                while a + 4 <= end:
                    alen, atyp = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atyp in (IFA_LOCAL, IFA_ADDRESS) and data[a + 4:a + alen] == want:
                        found = True
                    a += (alen + 3) & ~3
            off += (length + 3) & ~3


def main(argv):
    if len(argv) < 6:
        sys.exit(__doc__)
    want = socket.inet_aton(argv[1])
    period = float(argv[2]) / 1000.0
    max_n, max_s = int(argv[3]), float(argv[4])
    hosts = []
    for spec in argv[5:]:
        name, ns = spec.split("=", 1)
        hosts.append((name, open_in(ns)))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    start = time.monotonic()
    out = sys.stdout
    for n in range(max_n):
        if stop or time.monotonic() - start > max_s:
            break
        held = [name for name, s in hosts if has_addr(s, want, n + 1)]
        t = time.time_ns() // 1000
        out.write("%d %s\n" % (t, " ".join(held) if held else "-"))
        out.flush()
        nxt = start + (n + 1) * period
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv)
