#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures real keepalived VRRP adverts (golden vectors for test_packet.c).
#
# Usage (as root):  test/lab/capture-keepalived.sh [OUTFILE]
#
# For each case below it builds a private world of two network namespaces
# joined by a veth pair (vigcap-PID-a: 198.18.0.1/24 on "va", runs
# keepalived; vigcap-PID-b: 198.18.0.2/24 on "vb", a silent peer so unicast
# adverts have somewhere to go), starts keepalived as MASTER for VRID 51,
# records its adverts with tcpdump on "va", and prints each distinct VRRP
# message (the IP payload) with the IP source, destination and TTL, as C
# arrays ready to paste into test/unit/test_packet.c.
#
# Nothing is created in the root namespace. keepalived gets its own config
# and pid files in a temp dir; everything (processes by pid, namespaces,
# temp dir) is removed by the EXIT trap, even on failure or ^C.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
	echo "capture-keepalived.sh: must run as root (ip netns, raw sockets)" >&2
	exit 77
fi
for tool in keepalived tcpdump ip python3 timeout; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

OUT=${1:-/dev/stdout}
NSA="vigcap-$$-a"
NSB="vigcap-$$-b"
TMP=$(mktemp -d /tmp/vigcap.XXXXXX)
TCPDUMP_PID=""

cleanup() {
	set +e
	local f pid
	# keepalived: parent and VRRP child, by their own pid files only.
	local pids=""
	for f in "$TMP"/keepalived.pid "$TMP"/vrrp.pid; do
		[ -s "$f" ] && pids="$pids $(cat "$f")"
	done
	[ -n "$TCPDUMP_PID" ] && pids="$pids $TCPDUMP_PID"
	for pid in $pids; do
		kill "$pid" 2>/dev/null
	done
	# Bounded wait for them to leave (5 s).
	for _ in $(seq 50); do
		alive=0
		for pid in $pids; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_world() {
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	ip -n "$NSA" link add va type veth peer name vb netns "$NSB"
	ip -n "$NSA" addr add 198.18.0.1/24 dev va
	ip -n "$NSB" addr add 198.18.0.2/24 dev vb
	ip -n "$NSA" link set va up
	ip -n "$NSB" link set vb up
}

teardown_world() {
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
}

# write_conf NAME VERSION ADVERT_INT NVIPS AUTH(none|pass:WORD) UNICAST(0|1)
write_conf() {
	local name=$1 ver=$2 adv=$3 nvips=$4 auth=$5 uni=$6 f="$TMP/$1.conf"
	{
		echo "global_defs {"
		echo "  router_id vigcap"
		echo "  vrrp_version $ver"
		echo "}"
		echo "vrrp_instance VI_$name {"
		echo "  state MASTER"
		echo "  interface va"
		echo "  virtual_router_id 51"
		echo "  priority 150"
		echo "  advert_int $adv"
		if [ "$auth" != none ]; then
			echo "  authentication {"
			echo "    auth_type PASS"
			echo "    auth_pass ${auth#pass:}"
			echo "  }"
		fi
		if [ "$uni" = 1 ]; then
			echo "  unicast_src_ip 198.18.0.1"
			echo "  unicast_peer {"
			echo "    198.18.0.2"
			echo "  }"
		fi
		echo "  virtual_ipaddress {"
		echo "    198.18.0.100/24"
		[ "$nvips" -ge 2 ] && echo "    198.18.0.101/24"
		echo "  }"
		echo "}"
	} >"$f"
}

# Prints each distinct VRRP message of a pcap (Ethernet link type).
dump_pcap() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
path, name = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
linktype = struct.unpack(endian + "I", data[20:24])[0]
assert linktype == 1, "expected Ethernet captures, got link type %d" % linktype
off, seen, n = 24, [], 0
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if struct.unpack("!H", frame[12:14])[0] != 0x0800:
        continue
    ip = frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    ttl, proto = ip[8], ip[9]
    if proto != 112:
        continue
    n += 1
    key = (ip[12:16], ip[16:20], ttl, ip[ihl:total])
    if key not in seen:
        seen.append(key)
for i, (src, dst, ttl, msg) in enumerate(seen):
    cname = name if i == 0 else "%s_%d" % (name, i)
    print("/* %s: %d of %d captured adverts identical; src %s dst %s ttl %d, %d bytes */"
          % (cname, n if len(seen) == 1 else 1, n, ".".join(map(str, src)),
             ".".join(map(str, dst)), ttl, len(msg)))
    print("static const uint8_t %s[] = {" % cname)
    for j in range(0, len(msg), 8):
        print("\t" + " ".join("0x%02x," % b for b in msg[j:j + 8]))
    print("};")
if not seen:
    print("/* %s: NO ADVERT CAPTURED */" % name)
    sys.exit(1)
EOF
}

# capture NAME VERSION ADVERT_INT NVIPS AUTH UNICAST PACKETS
capture() {
	local name=$1 npk=$7 f
	write_conf "$@"
	setup_world
	ip netns exec "$NSA" tcpdump -i va -n -U -s 0 -w "$TMP/$name.pcap" \
		-c "$npk" 'ip proto 112' 2>"$TMP/$name.tcpdump.log" &
	TCPDUMP_PID=$!
	sleep 0.5   # let tcpdump open the socket before the first advert
	ip netns exec "$NSA" keepalived -n -l -D -P -f "$TMP/$name.conf" \
		-p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" -c "$TMP/checkers.pid" \
		>"$TMP/$name.keepalived.log" 2>&1 &
	# Bounded: at most 10 s for the adverts (keepalived takes 3 * advert_int
	# + skew to become master, then sends every advert_int).
	for _ in $(seq 100); do
		kill -0 "$TCPDUMP_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TCPDUMP_PID" 2>/dev/null; then
		kill "$TCPDUMP_PID"
	fi
	wait "$TCPDUMP_PID" 2>/dev/null || true
	TCPDUMP_PID=""
	local kpid=""
	[ -s "$TMP/keepalived.pid" ] && kpid=$(cat "$TMP/keepalived.pid")
	if [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$kpid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	echo "/* config for $name:"
	sed 's/^/ *   /' "$TMP/$name.conf"
	echo " */"
	dump_pcap "$TMP/$name.pcap" "$name" || {
		echo "keepalived log:" >&2; cat "$TMP/$name.keepalived.log" >&2
	}
	rm -f "$TMP"/*.pid
	teardown_world
}

{
	echo "/* Captured by test/lab/capture-keepalived.sh with $(keepalived --version 2>&1 | head -1)"
	echo " * on $(date -u +%Y-%m-%d), tcpdump on the master's veth in a private netns. */"
	#       name          ver adv  vips auth uni packets
	capture ka_v2_1vip     2  1    1    none 0   2
	capture ka_v2_2vip     2  1    2    none 0   2
	capture ka_v2_pass     2  1    1    pass:secret12 0 2
	# keepalived zero-pads a short password to the 8-byte field (and cuts
	# a longer one to 8: "Truncating auth_pass to 8 characters").
	capture ka_v2_pass_short 2 1   1    pass:vig 0 2
	capture ka_v3_1vip     3  1    1    none 0   2
	capture ka_v3_2vip_10cs 3 0.1  2    none 0   5
	capture ka_v3_unicast  3  1    1    none 1   2
} >"$OUT"
