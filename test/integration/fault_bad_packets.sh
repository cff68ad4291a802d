#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: a bounded flood of malformed, spoofed and foreign
# adverts from a third namespace (x) into a VRRP group, crafted with Python
# raw sockets (test/integration/vrrp_flood.py): 20000 datagrams over about
# 5 s, to 224.0.0.18 and to the master's address, every one of them with a
# priority that would make the master step down if it were accepted.
#
#   phase A, a VRRPv3 multicast pair (VRID 51): wrong TTL, bad checksum,
#     wrong version, wrong type, truncated (6 bytes), a length shorter than
#     its address count, address count 0, interval 0, a VRID nobody has,
#     and adverts whose source is the master's own address (accept_local
#     set in h1 so that the kernel hands them over);
#   phase B, a VRRPv2 pair with auth_type PASS (VRID 52): wrong password,
#     wrong auth type;
#   phase C, a unicast pair (VRID 53): adverts from addresses that are not
#     a configured unicast_peer (x's own, and a spoofed 198.18.0.99).
#
# Asserted: no state change on either node, the VIP on the master alone;
# each kind counted under its own drop reason in `vigilctl status --json`
# (the counters before and after; a datagram the kernel dropped at a full
# socket buffer is counted there, /proc/net/raw); the backup never takes
# over on its Master_Down_Timer; the master's adverts, captured on the
# backup with tcpdump, never more than 2 advert intervals apart; at most
# one log line per drop reason per 10 s.
#
# Usage: bash fault_bad_packets.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3 tcpdump

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
FLOOD=$here/vrrp_flood.py
VIP=198.18.0.100
MCAST=224.0.0.18
RATE=4000            # datagrams per second, all kinds together
lab_add_host h1 && lab_add_host h2 && lab_add_host x || exit 1
H1=$(lab_addr h1)
H2=$(lab_addr h2)
# The spoofed "own" adverts carry h1's address as their source; without
# accept_local the kernel drops them as martians before vigild sees them.
lab_exec h1 sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.eth0.accept_local=1

# status HOST: vigilctl status --json of HOST's vigild into $LAB_DIR/HOST.TAG.json
status() { "$VIGILCTL" -s "$LAB_DIR/$1.sock" status --json >"$LAB_DIR/$1.$2.json"; }

# counters FILE: "reason=count ..." of instance 0: every drop reason, the
# socket drops (ip-*), own and not-a-peer, adverts received; "port-vrid"
# when a per-interface receiver counts the VRIDs nobody has.
counters() {
	python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
i = j["instances"][0]
s = i["stats"]
out = dict(s["drops"])
for k, v in s.get("socketDrops", {}).items():
    out["ip-" + k] = v
out["own"] = s["rxOwn"]
out["not-a-peer"] = s["rxNotPeer"]
out["adverts"] = s["adverRx"]
out["state"] = i["state"]
# A shared receiver per interface (if this vigild has one) counts the
# VRIDs no instance has; sum whatever it reports.
port_vrid = 0
def walk(o, inside):
    global port_vrid
    if isinstance(o, dict):
        for k, v in o.items():
            if inside and k == "drops" and isinstance(v, dict):
                port_vrid += v.get("vrid", 0)
            walk(v, inside or k in ("ports", "interfaces", "receivers"))
    elif isinstance(o, list):
        for v in o:
            walk(v, inside)
walk({k: v for k, v in j.items() if k != "instances"}, False)
out["port-vrid"] = port_vrid
print(" ".join("%s=%s" % kv for kv in sorted(out.items())))
PY
}
# val "k=v ..." KEY: the value of KEY.
val() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# raw_drops HOST: datagrams the kernel dropped at the raw sockets' buffers
# in HOST (the "drops" column of /proc/net/raw, summed).
raw_drops() { lab_exec "$1" awk 'NR > 1 { d += $NF } END { print d + 0 }' /proc/net/raw; }

# advert_gaps PCAP SRC: the largest gap in ms between two adverts from SRC,
# and how many there were ("GAP COUNT").
advert_gaps() {
	tcpdump -r "$1" -n -tt "src host $2 and ip proto 112" 2>/dev/null |
		awk '{ t = $1 * 1000; if (n++) { g = t - p; if (g > m) m = g } p = t }
		     END { printf "%d %d\n", m, n }'
}

# run_phase NAME INTERVAL_MS SPEC...: start a capture of h1's adverts on
# h2, read both nodes' counters, flood from x, wait until every datagram
# is accounted for (counted by vigild or dropped by the kernel; bounded),
# read the counters again. Sets A1/A2 (before) and B1/B2 (after), KD1/KD2
# (kernel drops), T1/T2 (transitions during the flood), SENT (JSON).
run_phase() {
	local name=$1 ival=$2 cap; shift 2
	cap=$LAB_DIR/$name.pcap
	lab_spawn h2 "$name.tcpdump.log" tcpdump -i eth0 -n -U -w "$cap" \
		"src host $H1 and ip proto 112" >/dev/null
	CAP_PID=$LAB_PID
	lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/$name.tcpdump.log" >/dev/null
	status h1 "$name.before" && status h2 "$name.before" || return 1
	A1=$(counters "$LAB_DIR/h1.$name.before.json")
	A2=$(counters "$LAB_DIR/h2.$name.before.json")
	local kd1 kd2 t1 t2
	kd1=$(raw_drops h1); kd2=$(raw_drops h2)
	t1=$(vigil_transitions h1.vigild.log); t2=$(vigil_transitions h2.vigild.log)
	SENT=$(lab_exec x python3 "$FLOOD" eth0 "$RATE" 15 "$@")
	# Until every datagram sent is read or dropped (10 s at most): the
	# counters below are then final.
	local want1 want2
	want1=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1])["sent"]; print(sum(v for k,v in s.items() if k.split("@")[1] in (sys.argv[2], sys.argv[3])))' "$SENT" "$MCAST" "$H1")
	want2=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1])["sent"]; print(sum(v for k,v in s.items() if k.split("@")[1] in (sys.argv[2], sys.argv[3])))' "$SENT" "$MCAST" "$H2")
	lab_wait_for 10000 accounted h1 "$A1" "$want1" "$kd1" >/dev/null
	lab_wait_for 10000 accounted h2 "$A2" "$want2" "$kd2" >/dev/null
	# Two more advert intervals of the flood's aftermath, for the capture.
	lab_wait_for $((3 * ival)) false >/dev/null
	status h1 "$name.after" && status h2 "$name.after" || return 1
	B1=$(counters "$LAB_DIR/h1.$name.after.json")
	B2=$(counters "$LAB_DIR/h2.$name.after.json")
	KD1=$(($(raw_drops h1) - kd1)); KD2=$(($(raw_drops h2) - kd2))
	T1=$(($(vigil_transitions h1.vigild.log) - t1)); T2=$(($(vigil_transitions h2.vigild.log) - t2))
	lab_kill "$CAP_PID" INT
	lab_wait_for 3000 lab_pid_gone "$CAP_PID" >/dev/null
	read -r GAP NADV < <(advert_gaps "$cap" "$H1")
	printf '  %s: sent %s\n' "$name" "$SENT"
}

# accounted HOST BEFORE WANT KD0: every drop counter of HOST together with
# the kernel's drops grew by at least WANT since BEFORE.
accounted() {
	local now before=$2 k sum=0
	status "$1" poll || return 1
	now=$(counters "$LAB_DIR/$1.poll.json")
	for k in $(tr ' ' '\n' <<<"$now" | sed -n 's/=.*//p'); do
		case $k in state | adverts) continue ;; esac
		sum=$((sum + $(val "$now" "$k") - $(val "$before" "$k")))
	done
	[ $((sum + $(raw_drops "$1") - $4)) -ge "$3" ]
}

# d HOST KEY: the growth of KEY on HOST (1 or 2) in the last phase. A VRID
# nobody runs is counted by the interface's shared receiver when vigild has
# one (status "interfaces"), by the instance otherwise.
d() {
	local n
	if [ "$1" = 1 ]; then n=$(($(val "$B1" "$2") - $(val "$A1" "$2")))
	else n=$(($(val "$B2" "$2") - $(val "$A2" "$2"))); fi
	[ "$2" != vrid ] || [ "$n" -ne 0 ] || n=$(d "$1" port-vrid)
	echo "$n"
}

# expect HOST KEY N: the counter KEY grew by N on HOST, or by N minus the
# kernel's drops when the kernel dropped some (printed).
expect() {
	local host=$1 key=$2 n=$3 got kd
	got=$(d "$host" "$key")
	kd=$KD1; [ "$host" = 1 ] || kd=$KD2
	if [ "$kd" -eq 0 ]; then
		check "h$host: $n x $4 counted as '$key' ($got)" test "$got" -eq "$n"
	else
		check "h$host: $n x $4 counted as '$key' ($got; the kernel dropped $kd)" \
			test "$got" -ge $((n - kd)) -a "$got" -le "$n"
	fi
}

# pair_up RUN [vigil_conf keys]: both vigild with those keys (h1 at 150,
# h2 at 100); pair_start RUN with configs already written. Both wait for h1
# MASTER with the VIP and h2 BACKUP having heard it.
pair_up() {
	local run=$1; shift
	vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 "$@"
	vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 "$@"
	pair_start "$run"
}
pair_start() {
	vigil_run h1 "$1"
	lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
	vigil_run h2 "$1"
	lab_wait_for 5000 vigil_in_state h2.vigild.log BACKUP >/dev/null
	lab_wait_for 5000 eval '"$VIGILCTL" -s "$LAB_DIR/h2.sock" status --json | grep -q "\"self\": *false"' >/dev/null
	check "$1: h1 MASTER with the VIP, h2 BACKUP having heard it" \
		eval 'lab_vip_held_by $VIP h1 && vigil_in_state h1.vigild.log MASTER && vigil_in_state h2.vigild.log BACKUP'
}

pair_down() { vigil_term h1; vigil_term h2; }

# no_change PHASE INTERVAL_MS: the assertions every phase shares.
no_change() {
	check "$1: no state change on h1 or h2 during the flood ($T1, $T2)" test "$T1" -eq 0 -a "$T2" -eq 0
	check "$1: h1 still MASTER with the VIP alone, h2 BACKUP" \
		eval 'lab_vip_held_by $VIP h1 && [ "$(val "$B1" state)" = MASTER ] && [ "$(val "$B2" state)" = BACKUP ]'
	check "$1: h2 never took over on its Master_Down_Timer" \
		eval '! grep -q "BACKUP -> MASTER (master-down-timer" "$LAB_DIR/h2.vigild.log"'
	check "$1: h1's adverts seen on h2 ($NADV), largest gap $GAP ms < 2 x $2 ms" \
		test "${NADV:-0}" -ge 3 -a "${GAP:-99999}" -lt $((2 * $2))
	FIG+=("$1: largest gap between h1's adverts ${GAP} ms (interval $2 ms, $NADV adverts); kernel drops h1 $KD1, h2 $KD2")
}

FIG=()
N=1500   # datagrams of each kind in phase A (half multicast, half to h1)
H=$((N / 2))

echo "== phase A: VRRPv3 multicast pair, VRID 51, adverts every 200 ms (shipped default)"
pair_up A advert_interval=
spec=()
for k in ttl csum version type short length count interval vrid; do
	spec+=("$k:$H:$MCAST" "$k:$H:$H1")
done
spec+=("own:$N:$H1:$H1")
run_phase A 200 "${spec[@]}" || exit 1
for k in ttl csum version type short length count interval vrid; do
	expect 1 "$k" "$N" "$k (multicast and to h1)"
	expect 2 "$k" "$H" "$k (multicast)"
done
expect 1 own "$N" "adverts from h1's own address"
check "A: h2 counted nothing as its own" test "$(d 2 own)" -eq 0
check "A: h1 accepted no advert (h2 is silent)" test "$(d 1 adverts)" -eq 0
no_change A 200
FIG+=("A: $((10 * N)) datagrams, 10 kinds: h1 counted $(for k in ttl csum version type short length count interval vrid own; do printf '%s %s, ' "$k" "$(d 1 $k)"; done | sed 's/, $//')")
pair_down

echo "== phase B: VRRPv2 pair with auth_type PASS, VRID 52, adverts every 1 s"
M=1250
pair_up B vrid=52 version=2 advert_interval=1s auth_type=pass auth_pass=secret
run_phase B 1000 "v2pass:$((M / 2)):$MCAST" "v2pass:$((M / 2)):$H1" \
	"v2auth:$((M / 2)):$MCAST" "v2auth:$((M / 2)):$H1" || exit 1
expect 1 auth-data "$M" "wrong passwords"
expect 1 auth-type "$M" "wrong auth types"
expect 2 auth-data $((M / 2)) "wrong passwords (multicast)"
expect 2 auth-type $((M / 2)) "wrong auth types (multicast)"
no_change B 1000
FIG+=("B: $((2 * M)) datagrams: h1 counted auth-data $(d 1 auth-data), auth-type $(d 1 auth-type)")
pair_down

echo "== phase C: unicast pair, VRID 53, adverts every 200 ms: senders that are not a peer"
# Each node's only peer is the other one.
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 vrid=53 advert_interval= peers="$H2"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vrid=53 advert_interval= peers="$H1"
pair_start C
run_phase C 200 "notpeer:$((M / 2)):$H1" "notpeer:$((M / 2)):$H2" \
	"notpeer:$((M / 2)):$H1:198.18.0.99" "notpeer:$((M / 2)):$H2:198.18.0.99" || exit 1
expect 1 not-a-peer "$M" "adverts from x and from a spoofed 198.18.0.99"
expect 2 not-a-peer "$M" "adverts from x and from a spoofed 198.18.0.99"
no_change C 200
FIG+=("C: $((2 * M)) datagrams: not-a-peer h1 $(d 1 not-a-peer), h2 $(d 2 not-a-peer)")

# Dropped packets are logged at most once per 10 s per reason.
lines=$(cat "$LAB_DIR"/h1.*.log "$LAB_DIR"/h1.vigild.log 2>/dev/null | grep -c 'dropped packet from' || true)
check "h1 logged its drops in $lines lines (at most 2 per reason and phase)" test "$lines" -le 30

echo "== figures"
printf '  %s\n' "${FIG[@]}"
finish
